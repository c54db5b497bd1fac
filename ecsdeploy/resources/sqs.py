"""An SQS queue with the attributes the deployment sets (redrive policy, retention, encryption).

Only the attributes named in the desired state are compared; the rest keep whatever AWS or the
operator set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ecsdeploy.aws import Aws
from ecsdeploy.model import Change, CliWriter, Raw, Resolved, ResourcePlan
from ecsdeploy.resources.common import delete_if_ours, unless_missing
from ecsdeploy.tags import Ownership

KIND = "sqs queue"
_NOT_FOUND = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
# Attributes whose value is a JSON document: compared as documents, numbers as strings.
_JSON_ATTRIBUTES = ("RedrivePolicy", "RedriveAllowPolicy")


def _same_attribute(name: str, desired: str, actual: str | None) -> bool:
    if actual is None:
        return False
    if name in _JSON_ATTRIBUTES:
        try:
            parsed = json.loads(actual)
        except json.JSONDecodeError:
            return False
        as_text = {k: v if isinstance(v, list) else str(v) for k, v in parsed.items()}
        wanted = {k: v if isinstance(v, list) else str(v) for k, v in json.loads(desired).items()}
        return as_text == wanted
    return desired == actual


@dataclass(frozen=True)
class Queue:
    """A standard queue with ``attributes`` (values as SQS takes them: strings)."""

    name: str
    arn: str
    ownership: Ownership
    attributes: dict[str, str] = field(default_factory=dict)
    kind: str = KIND

    def _read(self, aws: Aws) -> tuple[str, dict[str, str], dict[str, str]] | None:
        sqs = aws.client("sqs")
        found = unless_missing(lambda: sqs.get_queue_url(QueueName=self.name), *_NOT_FOUND)
        if not found:
            return None
        url = found["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        tags = sqs.list_queue_tags(QueueUrl=url).get("Tags", {})
        return url, attributes, tags

    def plan(self, aws: Aws, resolved: Resolved) -> ResourcePlan:
        sqs = aws.client("sqs")
        result = ResourcePlan(self.kind, self.name)
        found = self._read(aws)
        if found is None:

            def create() -> None:
                sqs.create_queue(
                    QueueName=self.name, Attributes=self.attributes, tags=self.ownership.as_dict()
                )

            detail = ", ".join(sorted(self.attributes)) if self.attributes else ""
            result.changes.append(
                Change("create", self.kind, self.name, create, detail=detail, resource=self.arn)
            )
            return result
        url, attributes, tags = found
        if not self.ownership.owns(tags):
            result.conflict = f"exists without the tags {self.ownership.describe()}"
            return result
        differing = {
            name: value
            for name, value in self.attributes.items()
            if not _same_attribute(name, value, attributes.get(name))
        }
        if differing:
            result.changes.append(
                Change(
                    "update",
                    self.kind,
                    self.name,
                    lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes=differing),
                    detail="set " + ", ".join(sorted(differing)),
                    resource=self.arn,
                )
            )
        return result

    def teardown(self, aws: Aws) -> ResourcePlan:
        found = self._read(aws)  # (url, attributes, tags)
        return delete_if_ours(
            self,
            found and found[2],
            lambda: aws.client("sqs").delete_queue(QueueUrl=found[0]),
            found=found is not None,
        )

    def cli_create(self, cli: CliWriter) -> list[str]:
        args = ["--queue-name", self.name]
        if self.attributes:
            args += [
                "--attributes",
                cli.json(f"queue-{self.name}-attributes.json", self.attributes),
            ]
        args += ["--tags", ",".join(f"{k}={v}" for k, v in self.ownership.tags)]
        return [cli.command("sqs", "create-queue", *args)]

    def cli_delete(self, cli: CliWriter) -> list[str]:
        url = cli.command(
            "sqs",
            "get-queue-url",
            "--queue-name",
            self.name,
            "--query",
            "QueueUrl",
            "--output",
            "text",
        )
        return [cli.command("sqs", "delete-queue", "--queue-url", Raw(f'"$({url})"'))]
