"""parliament runs on the rendered permission policies (never the trust policy) and passes."""

from __future__ import annotations

from artifacts.context import DeploymentContext
from artifacts.render import render_artifacts
from checker.cli import main
from checker.parliament_lint import lint_permission_policies
from tests.checker.conftest import ArtifactCopy


def test_shipped_permission_policies_pass_parliament() -> None:
    assert lint_permission_policies(render_artifacts(DeploymentContext())) == []


def test_parliament_reports_resource_star_on_kms(artifacts: ArtifactCopy) -> None:
    artifacts.edit("execution", lambda p: p["Statement"][4].__setitem__("Resource", "*"))
    findings = lint_permission_policies(
        render_artifacts(DeploymentContext(), artifacts.policies, artifacts.taskdef)
    )
    assert [(f.issue, f.file.endswith("execution-role-policy.json")) for f in findings] == [
        ("RESOURCE_STAR", True)
    ]


def test_the_trust_policy_is_not_given_to_parliament(artifacts: ArtifactCopy) -> None:
    # A trust policy has no Resource; parliament would call it malformed.
    artifacts.edit(
        "trust",
        lambda p: p["Statement"][0].__setitem__("Action", "sts:AssumeRoleWithSomethingElse"),
    )
    findings = lint_permission_policies(
        render_artifacts(DeploymentContext(), artifacts.policies, artifacts.taskdef)
    )
    assert findings == []


def test_lint_policies_command_exit_codes(artifacts: ArtifactCopy, capsys) -> None:
    argv = [
        "lint-policies",
        "--policies",
        str(artifacts.policies),
        "--taskdef",
        str(artifacts.taskdef),
    ]
    assert main(argv) == 0
    artifacts.edit("task", lambda p: p["Statement"][0]["Action"].append("sqs:NoSuchAction"))
    assert main(argv) == 1
    assert "UNKNOWN_ACTION" in capsys.readouterr().out
    artifacts.path("task").write_text("{")
    assert main(argv) == 2
