"""The shipped artifacts come out clean, for the local context and for real-looking deployments."""

from __future__ import annotations

import re

import pytest

from artifacts.context import DeploymentContext
from checker.engine import check_files
from checker.ruleset import RULES
from service.awscalls import declared_calls
from tests.checker.conftest import CALLS


def _explain(report) -> str:
    return "\n".join(f"{f.code} {f.file} {f.path}: {f.message}" for f in report.findings)


def test_shipped_artifacts_are_clean_against_the_services_own_call_inventory() -> None:
    report = check_files(declared_calls())
    assert report.clean, _explain(report)
    assert len(report.files) == 4


@pytest.mark.parametrize(
    "context",
    [
        pytest.param(DeploymentContext(), id="local"),
        pytest.param(
            DeploymentContext(
                account_id="111122223333",
                region="eu-west-1",
                env="prod",
                parameter_key_id="1234abcd-12ab-34cd-56ef-1234567890ab",
            ),
            id="production-account",
        ),
        pytest.param(DeploymentContext(region="cn-north-1"), id="china-partition"),
        pytest.param(
            DeploymentContext(sqs_endpoint="http://127.0.0.1:5000"), id="local-sqs-endpoint"
        ),
        pytest.param(
            DeploymentContext(
                image="111122223333.dkr.ecr.us-east-1.amazonaws.com/courier:1.4.2",
                account_id="111122223333",
            ),
            id="pinned-ecr-image",
        ),
    ],
)
def test_shipped_artifacts_are_clean_for_every_context(context: DeploymentContext) -> None:
    report = check_files(declared_calls(), context)
    assert report.clean, _explain(report)


def test_a_public_image_makes_the_ecr_grants_unneeded() -> None:
    report = check_files(
        CALLS, DeploymentContext(image="public.ecr.aws/docker/library/python:3.11-slim")
    )
    assert report.codes == {"EX006"}
    assert {f.path for f in report.findings} == {
        "$.Statement[0].Action",
        "$.Statement[1].Action[0]",
        "$.Statement[1].Action[1]",
        "$.Statement[1].Action[2]",
    }


def test_rule_codes_are_unique_stable_and_documented_in_the_registry() -> None:
    codes = [rule.code for rule in RULES]
    assert len(codes) == len(set(codes))
    for rule in RULES:
        assert re.fullmatch(r"[A-Z]{2}\d{3}", rule.code)
        assert rule.title and rule.fix
