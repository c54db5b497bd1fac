"""The container's environment: Fargate's variables, none of the caller's AWS settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from artifacts.context import DeploymentContext
from artifacts.render import render_artifacts
from ecslocal.environment import (
    EXECUTION_ENV,
    TaskEndpoints,
    container_environment,
    image_environment,
    port_variables,
)

CONTEXT = DeploymentContext()
DEFINITION = render_artifacts(CONTEXT).container
ENDPOINTS = TaskEndpoints(
    credentials_full_uri="http://127.0.0.1:5000/v2/credentials/abc",
    authorization_token="tok",
    metadata_uri="http://127.0.0.1:5000/v4/abc-1",
    aws_endpoint_url="http://127.0.0.1:4566",
    region="us-east-1",
)


def build(**kwargs):
    defaults = {
        "secrets": {"API_KEY": "the-key"},
        "endpoints": ENDPOINTS,
        "venv_bin": Path("/venv/bin"),
        "home": Path("/tmp/home"),
    }
    defaults.update(kwargs)
    return container_environment(DEFINITION, **defaults)


def test_the_environment_is_exactly_fargates_plus_local_basics():
    env = build()
    task_def_names = {e["name"] for e in DEFINITION["environment"]}
    fargate = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "ECS_CONTAINER_METADATA_URI_V4",
        "AWS_EXECUTION_ENV",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
    }
    isolation = {"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED"}
    basics = {"PATH", "HOME", "LANG"}
    assert set(env) == task_def_names | {"API_KEY"} | fargate | isolation | basics
    assert env["AWS_EXECUTION_ENV"] == EXECUTION_ENV
    assert env["PATH"].startswith("/venv/bin:")
    assert env["API_KEY"] == "the-key"


@pytest.mark.parametrize(
    "leak",
    [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ],
)
def test_no_aws_setting_of_the_caller_leaks_in(monkeypatch, leak):
    monkeypatch.setenv(leak, "caller-value")
    env = build()
    assert leak not in env
    assert "caller-value" not in env.values()
    assert env["AWS_CONFIG_FILE"] == os.devnull
    assert env["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"


def test_the_agent_variables_cannot_be_overridden_by_the_task_definition_or_overrides():
    env = build(overrides={"AWS_REGION": "eu-west-1", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "x"})
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == ENDPOINTS.credentials_full_uri


def test_overrides_can_add_static_keys_like_a_run_task_override():
    env = build(overrides={"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s"})
    assert env["AWS_ACCESS_KEY_ID"] == "AKIA"


def test_the_published_port_replaces_the_container_port_variable_on_loopback_only():
    container_port = str(DEFINITION["portMappings"][0]["containerPort"])
    names = [e["name"] for e in DEFINITION["environment"] if e["value"] == container_port]
    assert names, "the task definition passes its container port in the environment"
    expected = {name: "18080" for name in names} | {"BIND_HOST": "127.0.0.1"}
    assert port_variables(DEFINITION, 18080) == expected
    env = build(published_port=18080)
    assert all(env[name] == value for name, value in expected.items())


def test_image_variables_that_point_inside_the_image_are_left_out():
    assert image_environment(
        {"PYTHONUNBUFFERED": "1", "PATH": "/opt/venv/bin:/usr/bin", "X": "$HOME/y", "HOME": "/app"}
    ) == {"PYTHONUNBUFFERED": "1"}
