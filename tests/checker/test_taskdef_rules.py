"""Task definition details the broken-fixture table does not show."""

from __future__ import annotations

import pytest

from checker.rules.taskdef import shape_errors
from tests.checker.conftest import ArtifactCopy


@pytest.mark.parametrize(
    ("document", "path"),
    [
        (
            {
                "family": "f",
                "containerDefinitions": [{"name": "c", "portMappings": [{"containerPort": "80"}]}],
            },
            "$.containerDefinitions[0].portMappings[0].containerPort",
        ),
        ({"containerDefinitions": []}, "$.family"),
        (
            {"family": "f", "containerDefinitions": [{"name": "c", "secrets": [{"name": "X"}]}]},
            "$.containerDefinitions[0].secrets[0].valueFrom",
        ),
        ({"family": "f", "containerDefinitions": [], "revision": 3}, "$.revision"),
    ],
)
def test_shape_errors_point_at_the_parameter(document, path: str) -> None:
    assert path in [p for p, _ in shape_errors(document)]


@pytest.mark.parametrize(
    ("cpu", "memory"),
    [("1 vCPU", "2 GB"), ("0.5 vcpu", "1024"), ("4096", "30720"), ("16384", "122880")],
)
def test_fargate_sizes_in_every_spelling_are_accepted(
    artifacts: ArtifactCopy, cpu: str, memory: str
) -> None:
    artifacts.edit("taskdef", lambda td: td.update({"cpu": cpu, "memory": memory}))
    assert artifacts.check().clean


def test_unset_stop_timeout_uses_the_ecs_default(artifacts: ArtifactCopy) -> None:
    artifacts.edit("taskdef", lambda td: td["containerDefinitions"][0].pop("stopTimeout"))
    assert artifacts.check().clean


def test_exec_form_health_check_with_a_curl_path_is_reported(artifacts: ArtifactCopy) -> None:
    command = ["CMD", "/usr/bin/curl", "-f", "http://127.0.0.1:8080/healthz"]
    artifacts.edit(
        "taskdef", lambda td: td["containerDefinitions"][0]["healthCheck"].update(command=command)
    )
    assert artifacts.check().codes == {"TD014"}


def test_sidecar_containers_are_held_to_the_same_security_rules(artifacts: ArtifactCopy) -> None:
    sidecar = {"name": "proxy", "image": "public.ecr.aws/nginx/nginx:1.27", "essential": False}
    artifacts.edit("taskdef", lambda td: td["containerDefinitions"].append(sidecar))
    report = artifacts.check()
    assert report.codes == {"TD010", "TD011", "TD018"}
    assert {f.path.split(".")[1] for f in report.findings} == {"containerDefinitions[1]"}


def test_secret_by_parameter_name_resolves_to_the_parameter_arn(artifacts: ArtifactCopy) -> None:
    artifacts.edit(
        "taskdef",
        lambda td: td["containerDefinitions"][0]["secrets"][0].update(
            valueFrom="${ParameterPath}api-key"
        ),
    )
    assert artifacts.check().clean


def test_secret_outside_the_parameter_path_is_not_readable(artifacts: ArtifactCopy) -> None:
    artifacts.edit(
        "taskdef",
        lambda td: td["containerDefinitions"][0]["secrets"][0].update(valueFrom="/shared/api-key"),
    )
    assert artifacts.check().codes == {"EX001"}


def test_secrets_manager_secret_needs_get_secret_value_on_that_secret(
    artifacts: ArtifactCopy,
) -> None:
    secret = (
        "arn:${Partition}:secretsmanager:${Region}:${AccountId}:secret:courier/dev/api-key-AbCdEf"
    )
    artifacts.edit(
        "taskdef",
        lambda td: td["containerDefinitions"][0]["secrets"][0].update(valueFrom=f"{secret}:key::"),
    )
    report = artifacts.check()
    # Nothing reads Parameter Store any more, so its grants become unneeded as well.
    assert report.codes == {"EX001", "EX006"}
    assert any("secretsmanager:GetSecretValue is not allowed" in f.message for f in report.findings)

    grant = {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret}
    artifacts.edit("execution", lambda p: p["Statement"].append(grant))
    assert artifacts.check().codes == {"EX006"}
