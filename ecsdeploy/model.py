"""The vocabulary of a plan: resources, the changes they need, and what later steps learn from earlier ones.

A :class:`Resource` knows its desired state. ``plan`` reads the actual state from AWS and returns the
changes that bring it to the desired state (nothing when it already is), or a conflict when a
same-named resource is in the way. ``teardown`` returns the changes that delete it when it is ours.
Each :class:`Change` carries the call that applies it, run later by :mod:`ecsdeploy.apply`.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from artifacts.render import dumps
from ecsdeploy.aws import Aws

# How each verb shows in a plan.
SYMBOLS = {
    "create": "+",
    "register": "+",
    "update": "~",
    "delete": "-",
    "wait": ".",
}


@dataclass(frozen=True)
class Change:
    """One step of a plan: what it does, to which resource, and the call that does it.

    ``run`` may return a sentence worth telling the operator (something it chose not to do).
    """

    verb: str
    kind: str
    name: str
    run: Callable[[], Any] = field(repr=False, compare=False)
    detail: str = ""
    # The ARN (or name) an AccessDenied error during this step is about.
    resource: str = ""

    def describe(self) -> str:
        text = f"{self.verb} {self.kind} {self.name}"
        return f"{text} ({self.detail})" if self.detail else text

    def line(self) -> str:
        symbol = SYMBOLS.get(self.verb, "~")
        text = f"{symbol} {self.verb:<8} {self.kind} {self.name}"
        return f"{text}: {self.detail}" if self.detail else text


@dataclass
class ResourcePlan:
    """What one resource needs: changes, or a conflict that stops the deploy, and notes."""

    kind: str
    name: str
    changes: list[Change] = field(default_factory=list)
    conflict: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Resolved:
    """Facts one step learns and a later step needs (known when planned, or once applied)."""

    parameter_key_id: str | None = None
    task_definition_arn: str | None = None
    service_changed: bool = False


class Raw(str):
    """A shell fragment the printed commands keep unquoted, such as ``"$KEY_ID"``."""


class CliWriter:
    """Builds AWS CLI command lines, and writes the documents they read (named as ``file://``)."""

    def __init__(self, directory: Path, region: str, endpoint_url: str | None = None) -> None:
        self.directory = directory
        self.written: dict[str, Path] = {}
        self.common = ["--region", region]
        if endpoint_url:
            self.common += ["--endpoint-url", endpoint_url]

    def command(self, service: str, operation: str, *args: str) -> str:
        """One ``aws`` command line, shell-quoted, with the run's region and endpoint."""
        words = ["aws", service, operation, *args, *self.common]
        return " ".join(w if isinstance(w, Raw) else shlex.quote(w) for w in words)

    def json(self, name: str, document: Any) -> str:
        """Write ``document`` with the one serialisation and return its ``file://`` argument."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / name
        path.write_text(dumps(document), encoding="utf-8")
        self.written[name] = path
        return f"file://{path}"


class Resource(Protocol):
    """A resource of the deployment, with its desired state."""

    kind: str
    name: str

    def plan(self, aws: Aws, resolved: Resolved) -> ResourcePlan:
        """Read the actual state and return the changes that reach the desired state."""
        ...

    def teardown(self, aws: Aws) -> ResourcePlan:
        """Return the changes that delete the resource if it is ours, else a note leaving it."""
        ...

    def cli_create(self, cli: CliWriter) -> list[str]:
        """AWS CLI commands that create the resource from scratch."""
        ...

    def cli_delete(self, cli: CliWriter) -> list[str]:
        """AWS CLI commands that delete the resource."""
        ...
