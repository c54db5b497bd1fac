"""The checker reads the CloudFormation template: a defect there is found like one in policies/."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from artifacts import ArtifactError, DeploymentContext
from artifacts.template import TEMPLATE_FILE, build_template, dump_yaml
from checker.cli import main
from checker.template_source import load_template, template_artifacts
from tests.checker.conftest import CALLS


def write(tmp_path: Path, edit) -> Path:
    template = build_template()
    edit(template["Resources"])
    path = tmp_path / "template.yaml"
    path.write_text(dump_yaml(template))
    return path


def check(path: Path) -> int:
    return main(["check", "--template", str(path)], load_calls=lambda: CALLS)


def test_shipped_template_is_clean(capsys) -> None:
    assert check(TEMPLATE_FILE) == 0
    assert "cloudformation/template.yaml" in capsys.readouterr().out


def test_singular_get_parameter_in_the_template_is_reported(tmp_path: Path, capsys) -> None:
    def edit(resources):
        statements = resources["ExecutionRolePolicy"]["Properties"]["PolicyDocument"]["Statement"]
        (read,) = [s for s in statements if s["Sid"] == "ReadServiceSecrets"]
        read["Action"] = "ssm:GetParameter"

    assert check(write(tmp_path, edit)) == 1
    out = capsys.readouterr().out
    assert "EX002" in out and "template.yaml" in out


def test_trust_without_source_account_in_the_template_is_reported(tmp_path: Path, capsys) -> None:
    def edit(resources):
        for role in ("ExecutionRole", "TaskRole"):
            statement = resources[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
            del statement["Condition"]["StringEquals"]

    assert check(write(tmp_path, edit)) == 1
    assert "TP00" in capsys.readouterr().out


def test_short_form_tags_read_as_long_form(tmp_path: Path) -> None:
    path = tmp_path / "short.yaml"
    path.write_text(
        "Resources:\n  A:\n    Type: X\n    Properties:\n      N: !Sub '${AWS::Region}'\n      R: !GetAtt B.Arn\n"
    )
    assert load_template(path)["Resources"]["A"]["Properties"] == {
        "N": {"Fn::Sub": "${AWS::Region}"},
        "R": {"Fn::GetAtt": ["B", "Arn"]},
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("a: [", "cannot read the template", id="bad-yaml"),
        pytest.param("a: 1\n", "not a CloudFormation template", id="no-resources"),
    ],
)
def test_unreadable_template_exits_2_with_one_line(tmp_path: Path, capsys, text, message) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    assert check(path) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_roles_with_different_trust_are_refused(tmp_path: Path) -> None:
    def edit(resources):
        trust = resources["TaskRole"]["Properties"]["AssumeRolePolicyDocument"]
        trust["Statement"][0]["Principal"] = {"Service": "lambda.amazonaws.com"}

    with pytest.raises(ArtifactError, match="trust different principals"):
        template_artifacts(write(tmp_path, edit), DeploymentContext())


def test_template_yaml_has_no_aliases_or_short_tags() -> None:
    text = TEMPLATE_FILE.read_text()
    assert "&id" not in text and "*id" not in text and " !" not in text
    assert yaml.safe_load(text)["AWSTemplateFormatVersion"] == "2010-09-09"
