"""Fixtures for the checker tests: editable copies of the shipped artifacts and a call inventory."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from artifacts.context import DeploymentContext
from artifacts.render import EXECUTION_POLICY, POLICIES_DIR, TASK_POLICY, TASKDEF_FILE, TRUST_POLICY
from checker.engine import check_files
from checker.findings import Report
from service.awscalls import ALWAYS_ALLOWED, QUEUES, AwsCall

# A service that sends, receives, deletes, releases and checks its queues, and asks STS who it is:
# the inventory the checker tests run against, apart from whatever the service declares today.
CALLS = (
    AwsCall("sqs:SendMessage", QUEUES, "service.queues.send_message"),
    AwsCall("sqs:ReceiveMessage", QUEUES, "service.queues.receive"),
    AwsCall("sqs:DeleteMessage", QUEUES, "service.queues.delete"),
    AwsCall("sqs:ChangeMessageVisibility", QUEUES, "service.queues.release"),
    AwsCall("sqs:GetQueueAttributes", QUEUES, "service.queues.check_reachable"),
    AwsCall(
        "sts:GetCallerIdentity", ALWAYS_ALLOWED, "service.identity.checker.get_caller_identity"
    ),
)

FILES = {
    "taskdef": "taskdef/taskdef.json",
    "trust": f"policies/{TRUST_POLICY}",
    "execution": f"policies/{EXECUTION_POLICY}",
    "task": f"policies/{TASK_POLICY}",
}


@dataclass
class ArtifactCopy:
    """The shipped artifact templates copied under a temporary root, to be broken one at a time."""

    root: Path
    calls: tuple[AwsCall, ...] = CALLS
    context: DeploymentContext = field(default_factory=DeploymentContext)

    @property
    def policies(self) -> Path:
        return self.root / "policies"

    @property
    def taskdef(self) -> Path:
        return self.root / FILES["taskdef"]

    def path(self, name: str) -> Path:
        return self.root / FILES[name]

    def load(self, name: str) -> Any:
        return json.loads(self.path(name).read_text())

    def edit(self, name: str, change: Callable[[Any], object]) -> None:
        """Change the template ``name`` in place (placeholders intact) and write it back."""
        document = self.load(name)
        change(document)
        self.path(name).write_text(json.dumps(document, indent=2))

    def check(self) -> Report:
        return check_files(self.calls, self.context, self.policies, self.taskdef)


@pytest.fixture
def artifacts(tmp_path: Path) -> ArtifactCopy:
    shutil.copytree(POLICIES_DIR, tmp_path / "policies")
    (tmp_path / "taskdef").mkdir()
    shutil.copy(TASKDEF_FILE, tmp_path / FILES["taskdef"])
    return ArtifactCopy(tmp_path)
