"""The local account `make demo` bootstraps holds what cloudformation/template.yaml declares.

The demo's resources are read back from moto and compared with the template resolved for the
demo's context (moto's account, the region, the demo's KMS key): names, trust, role policies and
the task definition. Only the queue URLs' host differs (the demo's queues live on moto).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from artifacts.template import TEMPLATE_FILE
from checker.template_source import template_artifacts
from ecslocal.bootstrap import LocalAccount, bootstrap_account
from ecslocal.moto_server import EmbeddedMoto


@pytest.fixture(scope="module")
def account() -> Iterator[LocalAccount]:
    with EmbeddedMoto() as server:
        yield bootstrap_account(server.endpoint, api_key="demo-key-for-comparison")


def _without_queue_host(document, account: LocalAccount):
    """The task definition with each queue URL reduced to its account and name."""
    for container in document["containerDefinitions"]:
        for variable in container.get("environment", []):
            if variable["name"].endswith("_QUEUE_URL"):
                variable["value"] = "/".join(variable["value"].rsplit("/", 2)[-2:])
    return document


def test_demo_roles_carry_the_templates_trust_and_policies(account: LocalAccount) -> None:
    template = template_artifacts(TEMPLATE_FILE, replace(account.context, sqs_endpoint=""))
    iam = account.client("iam")
    context = account.context
    for role, policy in (
        (context.execution_role_name, template.execution_policy),
        (context.task_role_name, template.task_policy),
    ):
        assert (
            iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"] == template.trust_policy
        )
        names = iam.list_role_policies(RoleName=role)["PolicyNames"]
        statements = [
            statement
            for name in names
            for statement in iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"][
                "Statement"
            ]
        ]
        assert sorted(map(str, statements)) == sorted(map(str, policy["Statement"]))


def test_demo_task_definition_and_names_are_the_templates(account: LocalAccount) -> None:
    context = account.context
    template = template_artifacts(TEMPLATE_FILE, replace(context, sqs_endpoint=""))
    ecs = account.client("ecs")
    demo = ecs.describe_task_definition(taskDefinition=context.task_family)["taskDefinition"]
    expected = _without_queue_host(template.task_definition, account)
    registered = _without_queue_host({key: demo[key] for key in expected}, account)
    # moto fills in defaults (cpu 0, ...): compare what the template sets.
    (want,) = expected.pop("containerDefinitions")
    (got,) = registered.pop("containerDefinitions")
    assert registered == expected
    assert {key: got.get(key) for key in want} == want
    queues = {u.rsplit("/", 1)[1] for u in account.client("sqs").list_queues()["QueueUrls"]}
    assert queues == set(context.queue_names)
    assert (
        account.client("ssm").get_parameter(Name=context.api_key_parameter)["Parameter"]["Type"]
        == "SecureString"
    )
    (group,) = account.client("logs").describe_log_groups(logGroupNamePrefix=context.log_group)[
        "logGroups"
    ]
    assert group["logGroupName"] == context.log_group
    (cluster,) = ecs.describe_clusters(clusters=[context.cluster_name])["clusters"]
    assert cluster["status"] == "ACTIVE"
