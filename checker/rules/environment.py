"""Environment and credential rules (EN...): nothing secret or credential-shaped in plain sight."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from checker.findings import Severity
from checker.rules.base import Hit, rule
from checker.subject import DOCUMENTS, TASK_DEFINITION, Subject

# Settings botocore's credential chain reads before the container provider: any of them in the
# task's environment silently replaces the task role.
CREDENTIAL_OVERRIDES = frozenset(
    {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONFIG_FILE",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    }
)
# Set by the ECS agent for every container; a task definition value breaks the task role or
# the metadata endpoint.
AGENT_RESERVED = frozenset(
    {
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "ECS_CONTAINER_METADATA_URI",
        "ECS_CONTAINER_METADATA_URI_V4",
        "AWS_EXECUTION_ENV",
    }
)
SECRET_WORDS = (
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
)
ACCESS_KEY_ID_RE = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")


def _named_entries(subject: Subject, key: str) -> Iterator[tuple[str, str]]:
    for container in subject.containers:
        for path, entry in container.items(key):
            name = entry.get("name")
            if isinstance(name, str):
                yield f"{path}.name", name


@rule(
    "EN001",
    Severity.ERROR,
    "a credential setting in the container would replace the task role",
    "Remove it: boto3 finds the task role's credentials through the ECS credentials endpoint.",
)
def no_credential_overrides(subject: Subject) -> Iterable[Hit]:
    for key in ("environment", "secrets"):
        for path, name in _named_entries(subject, key):
            if name.upper() in CREDENTIAL_OVERRIDES:
                yield Hit(
                    TASK_DEFINITION,
                    path,
                    f"{name} in {key} comes before the container provider in boto3's credential "
                    "chain: the service would not run as its task role",
                )


@rule(
    "EN002",
    Severity.ERROR,
    "the environment sets a variable the ECS agent reserves",
    "Remove it: the agent sets it for every container.",
)
def no_agent_reserved(subject: Subject) -> Iterable[Hit]:
    for path, name in _named_entries(subject, "environment"):
        if name.upper() in AGENT_RESERVED:
            yield Hit(
                TASK_DEFINITION, path, f"{name} is set by the ECS agent; a fixed value breaks it"
            )


@rule(
    "EN003",
    Severity.ERROR,
    "a secret-looking value is in the plain environment",
    'Move it to "secrets" with valueFrom naming an SSM parameter under ${ParameterPath}.',
)
def no_secret_looking_environment(subject: Subject) -> Iterable[Hit]:
    for path, name in _named_entries(subject, "environment"):
        upper = name.upper()
        if upper in CREDENTIAL_OVERRIDES or upper in AGENT_RESERVED:
            continue
        words = [word for word in SECRET_WORDS if word in upper]
        if words:
            yield Hit(
                TASK_DEFINITION,
                path,
                f"{name} looks like a secret ({words[0]}): plain environment values are readable by "
                "anyone who can describe the task definition",
            )


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", str(key)
            yield from _strings(item, f"{path}.{key}")


@rule(
    "EN004",
    Severity.ERROR,
    "a literal AWS access key id is in an artifact",
    "Remove it and deactivate the key: the service gets short-lived credentials from its task role.",
)
def no_literal_access_keys(subject: Subject) -> Iterable[Hit]:
    for document in DOCUMENTS:
        for path, text in _strings(subject.document(document), "$"):
            for match in ACCESS_KEY_ID_RE.finditer(text):
                masked = match[0][:4] + "*" * 12 + match[0][-4:]
                yield Hit(document, path, f"literal access key id {masked}")
