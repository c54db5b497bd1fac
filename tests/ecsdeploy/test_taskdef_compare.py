"""The task definition comparison: what AWS adds is not a difference, any real change is."""

from __future__ import annotations

import copy

import pytest

from artifacts.context import DeploymentContext
from artifacts.render import render_artifacts
from ecsdeploy.taskdef import differences


@pytest.fixture
def rendered() -> dict:
    return render_artifacts(DeploymentContext()).task_definition


def as_described(document: dict) -> dict:
    """The document the way DescribeTaskDefinition returns it: bookkeeping and defaults added."""
    described = copy.deepcopy(document)
    described.update(
        taskDefinitionArn="arn:aws:ecs:us-east-1:123456789012:task-definition/courier-dev:7",
        revision=7,
        status="ACTIVE",
        compatibilities=["EC2", "FARGATE"],
        requiresAttributes=[{"name": "com.amazonaws.ecs.capability.task-iam-role"}],
        placementConstraints=[],
        registeredAt="2026-01-01T00:00:00Z",
        registeredBy="arn:aws:iam::123456789012:user/operator",
        enableFaultInjection=False,
    )
    for volume in described["volumes"]:
        volume["host"] = {}
    for container in described["containerDefinitions"]:
        container.update(cpu=0, volumesFrom=[], systemControls=[])
        container["environment"] = list(reversed(container["environment"]))
        for mapping in container["portMappings"]:
            mapping.setdefault("protocol", "tcp")
    return described


def test_a_registered_revision_of_the_same_document_has_no_differences(rendered):
    assert differences(rendered, as_described(rendered)) == []


def set_image(doc):
    doc["containerDefinitions"][0]["image"] = "registry.example/courier:v2"


def add_environment(doc):
    doc["containerDefinitions"][0]["environment"].append({"name": "LOG_LEVEL", "value": "debug"})


def drop_secrets(doc):
    del doc["containerDefinitions"][0]["secrets"]


def change_memory(doc):
    doc["memory"] = "1024"


def swap_task_role(doc):
    doc["taskRoleArn"] = doc["executionRoleArn"]


def make_root_writable(doc):
    doc["containerDefinitions"][0]["readonlyRootFilesystem"] = False


def give_cpu(doc):
    doc["containerDefinitions"][0]["cpu"] = 128


def enable_fault_injection(doc):
    doc["enableFaultInjection"] = True


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (set_image, "containerDefinitions[courier].image"),
        (add_environment, "containerDefinitions[courier].environment"),
        (drop_secrets, "containerDefinitions[courier].secrets"),
        (change_memory, "memory"),
        (swap_task_role, "taskRoleArn"),
        (make_root_writable, "containerDefinitions[courier].readonlyRootFilesystem"),
        (give_cpu, "containerDefinitions[courier].cpu"),
        (enable_fault_injection, "enableFaultInjection"),
    ],
)
def test_a_real_change_is_a_difference_at_its_path(rendered, change, path):
    registered = as_described(rendered)
    changed = copy.deepcopy(rendered)
    change(changed)

    found = differences(changed, registered)

    assert found, "the change went unnoticed"
    assert any(p.startswith(path) for p in found), found
