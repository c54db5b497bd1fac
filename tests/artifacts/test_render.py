"""The renderer: placeholders filled from the context, errors that name the file and the spot."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from artifacts import ArtifactError, DeploymentContext, load_json, render_artifacts, render_value
from artifacts.render import POLICIES_DIR, POLICY_FILES, TASKDEF_FILE, dumps

CONTEXT = DeploymentContext()


def test_placeholders_are_filled_in_nested_strings_only() -> None:
    document = {"a": ["${AccountId}", {"b": "x-${Region}-y"}], "n": 3, "t": True, "z": None}
    rendered = render_value(document, CONTEXT.variables(), "doc.json")
    assert rendered == {"a": ["123456789012", {"b": "x-us-east-1-y"}], "n": 3, "t": True, "z": None}


def test_double_dollar_is_a_literal_dollar() -> None:
    rendered = render_value(
        {"Resource": "arn:aws:s3:::b/$${aws:username}"}, CONTEXT.variables(), "p.json"
    )
    assert rendered == {"Resource": "arn:aws:s3:::b/${aws:username}"}


def test_a_value_cannot_break_the_json() -> None:
    hostile = DeploymentContext(image='registry.example/a"b\\c:1')
    rendered = render_value({"image": "${Image}"}, hostile.variables(), "td.json")
    assert json.loads(dumps(rendered)) == {"image": 'registry.example/a"b\\c:1'}


@pytest.mark.parametrize(
    ("template", "message"),
    [
        pytest.param(
            {"x": ["ok", "${Nope}"]}, "doc.json: $.x[1]: unknown placeholder ${Nope}", id="unknown"
        ),
        pytest.param(
            {"x": "${accountid}"},
            "unknown placeholder ${accountid}",
            id="placeholders-are-case-sensitive",
        ),
        pytest.param(
            {"x": "costs $5"},
            "malformed placeholder in 'costs $5' (write $$ for a dollar sign)",
            id="lone-dollar",
        ),
        pytest.param({"x": "${Region"}, "malformed placeholder", id="unclosed-brace"),
    ],
)
def test_bad_placeholders_name_file_and_path(template, message: str) -> None:
    with pytest.raises(ArtifactError) as caught:
        render_value(template, CONTEXT.variables(), "doc.json")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param('{"a": 1, "a": 2}', "duplicate key 'a'", id="duplicate-top-level-key"),
        pytest.param(
            '{"s": [{"Effect": "Allow", "Effect": "Deny"}]}',
            "duplicate key 'Effect'",
            id="duplicate-nested-key",
        ),
        pytest.param('{"a": 1,}', "not valid JSON: ", id="trailing-comma"),
        pytest.param("", "not valid JSON: Expecting value (line 1, column 1)", id="empty-file"),
        pytest.param("{'a': 1}", "not valid JSON", id="single-quotes"),
        pytest.param('{"cpu": NaN}', "NaN is not a JSON value", id="nan"),
        pytest.param("[" * 100_000, "nests too deeply", id="deep-nesting"),
    ],
)
def test_strict_json_loading(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "doc.json"
    path.write_text(text)
    with pytest.raises(ArtifactError) as caught:
        load_json(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_missing_file_is_an_artifact_error(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="no such file"):
        load_json(tmp_path / "absent.json")


def test_every_placeholder_in_the_shipped_files_is_known() -> None:
    artifacts = render_artifacts(CONTEXT)
    text = "".join(dumps(getattr(artifacts, name)) for name in artifacts.sources)
    assert "${" not in text


def test_shipped_files_use_only_the_context_vocabulary() -> None:
    used = set()
    for path in [*(POLICIES_DIR / name for name in POLICY_FILES), TASKDEF_FILE]:
        used |= {part.split("}", 1)[0] for part in path.read_text().split("${")[1:]}
    assert used and used <= set(CONTEXT.variables())


def test_render_artifacts_reports_the_broken_file(tmp_path: Path) -> None:
    shutil.copytree(POLICIES_DIR, tmp_path / "policies")
    (tmp_path / "policies" / "task-role-policy.json").write_text('{"Statement": "${Oops}"}')
    with pytest.raises(
        ArtifactError, match=r"task-role-policy.json: \$.Statement: unknown placeholder"
    ):
        render_artifacts(CONTEXT, tmp_path / "policies", TASKDEF_FILE)
