"""docs/artifacts.md documents exactly the codes the checker reports."""

from __future__ import annotations

import re

from checker.engine import RULE_FAILED
from checker.ruleset import RULES
from tests.support.processes import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "artifacts.md"


def test_codes_table_lists_every_rule_with_its_severity() -> None:
    rows = re.findall(r"^\| ([A-Z]{2}\d{3}) \| (error|warning) \|", DOC.read_text(), re.MULTILINE)
    assert rows == [(rule.code, str(rule.severity)) for rule in RULES] + [(RULE_FAILED, "error")]


def test_every_shipped_policy_statement_is_explained() -> None:
    import json

    text = DOC.read_text()
    for name in ("trust-policy.json", "execution-role-policy.json", "task-role-policy.json"):
        for statement in json.loads((PROJECT_ROOT / "policies" / name).read_text())["Statement"]:
            assert f"`{statement['Sid']}`" in text, statement["Sid"]
