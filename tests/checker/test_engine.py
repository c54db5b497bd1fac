"""The engine walks the rule list: a failing rule is reported, the others still run."""

from __future__ import annotations

import pytest

from artifacts.context import DeploymentContext
from artifacts.render import render_artifacts
from checker.engine import run_checks
from checker.findings import Severity
from checker.rules.base import Hit, Rule
from checker.subject import TASK_DEFINITION
from tests.checker.conftest import CALLS, ArtifactCopy


def _crash(subject):
    raise KeyError("surprise")


def _always(subject):
    yield Hit(TASK_DEFINITION, "$.family", "always")
    yield Hit(TASK_DEFINITION, "$.family", "always")


def test_a_rule_that_fails_is_reported_and_does_not_hide_the_others() -> None:
    rules = (
        Rule("ZZ001", Severity.ERROR, "crashes", "n/a", _crash),
        Rule("ZZ002", Severity.WARNING, "always fires", "do nothing", _always),
    )
    report = run_checks(render_artifacts(DeploymentContext()), CALLS, rules)
    assert [f.code for f in report.findings] == ["CK001", "ZZ002"]
    assert "rule ZZ001 could not check this input: KeyError" in report.findings[0].message
    assert report.count(Severity.WARNING) == 1  # the duplicate hit is reported once


def test_input_of_the_wrong_types_yields_findings_not_crashes(tmp_path) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    for name in ("trust-policy.json", "execution-role-policy.json", "task-role-policy.json"):
        (policies / name).write_text(
            '{"Version": "2012-10-17", "Statement": [{"Effect": 1, "Action": {}}]}'
        )
    taskdef = tmp_path / "taskdef.json"
    taskdef.write_text(
        '{"family": 3, "cpu": 256, "containerDefinitions": [{"name": "courier", "environment": "PORT=1",'
        ' "portMappings": [{"containerPort": "80", "hostPort": "80"}], "user": 0, "secrets": [{}],'
        ' "healthCheck": {"command": "curl"}, "logConfiguration": {"logDriver": "awslogs", "options": []}}]}'
    )
    report = run_checks(render_artifacts(DeploymentContext(), policies, taskdef), CALLS)
    assert "CK001" not in report.codes, [f.message for f in report.findings if f.code == "CK001"]
    assert {"TD001", "TD003", "TD010", "PL003", "TP001"} <= report.codes


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda c, td: c.__setitem__("environment", [{"name": ["PORT"]}]), id="env-name"
        ),
        pytest.param(
            lambda c, td: td.__setitem__("volumes", [{"name": {"a": 1}}]), id="volume-name"
        ),
        pytest.param(
            lambda c, td: c.__setitem__("mountPoints", [{"sourceVolume": ["tmp"]}]),
            id="mount-source",
        ),
    ],
)
def test_unhashable_names_are_shape_findings_not_rule_failures(
    artifacts: ArtifactCopy, change
) -> None:
    artifacts.edit("taskdef", lambda td: change(td["containerDefinitions"][0], td))
    report = artifacts.check()
    assert "CK001" not in report.codes, [f.message for f in report.findings if f.code == "CK001"]
    assert "TD001" in report.codes
