"""Strict JSON: one meaning or a JsonError naming the problem (request bodies and artifacts)."""

from __future__ import annotations

import pytest

from service.strictjson import JsonError, loads


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": [1, 2.5, "x", null, true]}', {"a": [1, 2.5, "x", None, True]}),
        ('{"a": {"b": 1}, "c": {"b": 2}}', {"a": {"b": 1}, "c": {"b": 2}}),  # same key, two objects
        ("1e308", 1e308),
    ],
)
def test_plain_json_parses(text: str, value: object) -> None:
    assert loads(text) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ('[{"Effect": "Allow", "Effect": "Deny"}]', "duplicate key 'Effect'"),
        ("NaN", "NaN is not a JSON value"),
        ('{"a": Infinity}', "Infinity is not a JSON value"),
        ("[-1e400]", "a number is too large"),
        ("9" * 5000, "a number is too long"),
        ("[" * 100_000, "nests too deeply"),
        ('{"a": 1,}', "(line 1, column 9)"),
        ("", "Expecting value (line 1, column 1)"),
    ],
)
def test_json_without_one_meaning_is_an_error(text: str, message: str) -> None:
    with pytest.raises(JsonError) as raised:
        loads(text)
    assert message in str(raised.value)
