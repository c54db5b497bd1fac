"""The /whoami JSON document and the terminal text made from an identity report."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from service.errors import CredentialsUnavailable, IdentityUnavailable
from service.identity import (
    error_to_dict,
    error_to_text,
    report_to_dict,
    report_to_text,
)
from service.identity.credentials import CredentialFacts
from service.identity.ecs import EcsTask
from service.identity.model import ERROR, WARNING, IdentityReport, IdentityWarning
from service.identity.principal import parse_principal

ARN = "arn:aws:sts::123456789012:assumed-role/courier-dev-task/0f1e2d3c"
EXPIRES_AT = datetime(2030, 1, 1, 18, 30, 5, tzinfo=UTC)
REPORT = IdentityReport(
    account="123456789012",
    arn=ARN,
    user_id="AROAEXAMPLEID:0f1e2d3c",
    principal=parse_principal(ARN),
    region="us-east-1",
    credentials=CredentialFacts(
        source="container-role",
        description="the ECS task role, from the container credentials endpoint",
        access_key_id="ASIA****WXYZ",
        expires_at=EXPIRES_AT,
        expires_in_seconds=3725,
        container_endpoint="AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ),
    ecs=EcsTask(
        task_arn="arn:aws:ecs:us-east-1:123456789012:task/courier-dev/0f1e2d3c",
        cluster="courier-dev",
        family="courier-dev",
        revision="7",
        launch_type="FARGATE",
        availability_zone="us-east-1a",
    ),
    warnings=(
        IdentityWarning(
            "CREDENTIALS_EXPIRING", WARNING, "The credentials expire in 200 s. Fix it."
        ),
    ),
)


def test_whoami_document_has_exactly_the_published_fields() -> None:
    document = report_to_dict(REPORT)

    assert document == {
        "account": "123456789012",
        "arn": ARN,
        "principal_type": "assumed-role",
        "role_name": "courier-dev-task",
        "session_name": "0f1e2d3c",
        "user_id": "AROAEXAMPLEID:0f1e2d3c",
        "region": "us-east-1",
        "credentials": {
            "source": "container-role",
            "description": "the ECS task role, from the container credentials endpoint",
            "access_key_id": "ASIA****WXYZ",
            "expires_at": "2030-01-01T18:30:05Z",
            "expires_in_seconds": 3725,
            "container_endpoint": "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        },
        "ecs": {
            "task_arn": "arn:aws:ecs:us-east-1:123456789012:task/courier-dev/0f1e2d3c",
            "cluster": "courier-dev",
            "family": "courier-dev",
            "revision": "7",
            "launch_type": "FARGATE",
            "availability_zone": "us-east-1a",
        },
        "warnings": [
            {
                "code": "CREDENTIALS_EXPIRING",
                "severity": "warning",
                "message": "The credentials expire in 200 s. Fix it.",
            }
        ],
    }
    assert json.loads(json.dumps(document)) == document


def test_credentials_that_do_not_expire_have_null_expiry_and_off_ecs_null_ecs() -> None:
    static = replace(
        REPORT,
        principal=parse_principal("arn:aws:iam::123456789012:user/alice"),
        credentials=replace(
            REPORT.credentials,
            source="env",
            expires_at=None,
            expires_in_seconds=None,
            container_endpoint=None,
        ),
        ecs=None,
        warnings=(),
    )

    document = report_to_dict(static)

    assert document["credentials"]["expires_at"] is None
    assert document["credentials"]["expires_in_seconds"] is None
    assert document["credentials"]["container_endpoint"] is None
    assert document["ecs"] is None
    assert document["role_name"] is None and document["session_name"] is None
    assert document["principal_type"] == "user"
    assert document["warnings"] == []


def test_expiry_is_written_in_utc_with_a_z() -> None:
    elsewhere = EXPIRES_AT.astimezone(timezone(timedelta(hours=-5)))
    report = replace(REPORT, credentials=replace(REPORT.credentials, expires_at=elsewhere))
    assert report_to_dict(report)["credentials"]["expires_at"] == "2030-01-01T18:30:05Z"


def test_terminal_text_shows_the_identity_source_expiry_task_and_warnings() -> None:
    text = report_to_text(REPORT)

    for expected in (
        ARN,
        "role courier-dev-task, session 0f1e2d3c",
        "container-role: the ECS task role",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "ASIA****WXYZ",
        "2030-01-01T18:30:05Z (in 1 h 02 min)",
        "courier-dev:7",
        "FARGATE",
        "[warning] CREDENTIALS_EXPIRING",
        "The credentials expire in 200 s. Fix it.",
    ):
        assert expected in text


def test_terminal_text_says_when_there_is_nothing_to_fix() -> None:
    text = report_to_text(replace(REPORT, warnings=(), ecs=None))
    assert "No warnings." in text
    assert "(not on ECS)" in text


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (CredentialsUnavailable("none found"), "no_credentials"),
        (IdentityUnavailable("STS could not be reached: x"), "identity_unavailable"),
    ],
)
def test_errors_keep_their_code_message_and_warnings(error: Exception, code: str) -> None:
    error.warnings = [IdentityWarning("REGION_MISSING", ERROR, "No AWS region. Set AWS_REGION.")]

    document = error_to_dict(error)
    text = error_to_text(error)

    assert document == {
        "error": {"code": code, "message": error.message},
        "warnings": [
            {
                "code": "REGION_MISSING",
                "severity": "error",
                "message": "No AWS region. Set AWS_REGION.",
            }
        ],
    }
    assert text.startswith(f"{code}: {error.message}")
    assert "[error] REGION_MISSING" in text


def test_report_knows_whether_it_has_errors_and_whom_it_names() -> None:
    assert not REPORT.has_errors
    assert replace(REPORT, warnings=(IdentityWarning("X", ERROR, "m"),)).has_errors
    assert REPORT.describe_principal() == "role courier-dev-task"
