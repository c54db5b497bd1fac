"""The CloudWatch Logs group the awslogs driver writes to, with a retention period."""

from __future__ import annotations

from dataclasses import dataclass

from ecsdeploy.aws import Aws
from ecsdeploy.model import Change, CliWriter, Resolved, ResourcePlan
from ecsdeploy.resources.common import delete_if_ours
from ecsdeploy.tags import Ownership

KIND = "log group"


@dataclass(frozen=True)
class LogGroup:
    """A log group with ``retention_days`` (never-expiring logs cost more every month)."""

    name: str
    arn: str
    retention_days: int
    ownership: Ownership
    kind: str = KIND

    def _read(self, aws: Aws) -> tuple[dict, dict[str, str]] | None:
        logs = aws.client("logs")
        for page in logs.get_paginator("describe_log_groups").paginate(
            logGroupNamePrefix=self.name
        ):
            for group in page["logGroups"]:
                if group["logGroupName"] == self.name:
                    arn = group.get("logGroupArn") or group["arn"].removesuffix(":*")
                    tags = logs.list_tags_for_resource(resourceArn=arn).get("tags", {})
                    return group, tags
        return None

    def _set_retention(self, aws: Aws) -> None:
        aws.client("logs").put_retention_policy(
            logGroupName=self.name, retentionInDays=self.retention_days
        )

    def plan(self, aws: Aws, resolved: Resolved) -> ResourcePlan:
        result = ResourcePlan(self.kind, self.name)
        found = self._read(aws)
        if found is None:

            def create() -> None:
                aws.client("logs").create_log_group(
                    logGroupName=self.name, tags=self.ownership.as_dict()
                )
                self._set_retention(aws)

            result.changes.append(
                Change(
                    "create",
                    self.kind,
                    self.name,
                    create,
                    detail=f"retention {self.retention_days} days",
                    resource=self.arn,
                )
            )
            return result
        group, tags = found
        if not self.ownership.owns(tags):
            result.conflict = f"exists without the tags {self.ownership.describe()}"
            return result
        if group.get("retentionInDays") != self.retention_days:
            result.changes.append(
                Change(
                    "update",
                    self.kind,
                    self.name,
                    lambda: self._set_retention(aws),
                    detail=f"retention {group.get('retentionInDays', 'never expire')} -> "
                    f"{self.retention_days} days",
                    resource=self.arn,
                )
            )
        return result

    def teardown(self, aws: Aws) -> ResourcePlan:
        found = self._read(aws)
        return delete_if_ours(
            self,
            found and found[1],
            lambda: aws.client("logs").delete_log_group(logGroupName=self.name),
            found=found is not None,
        )

    def cli_create(self, cli: CliWriter) -> list[str]:
        tags = ",".join(f"{k}={v}" for k, v in self.ownership.tags)
        return [
            cli.command("logs", "create-log-group", "--log-group-name", self.name, "--tags", tags),
            cli.command(
                "logs",
                "put-retention-policy",
                "--log-group-name",
                self.name,
                "--retention-in-days",
                str(self.retention_days),
            ),
        ]

    def cli_delete(self, cli: CliWriter) -> list[str]:
        return [cli.command("logs", "delete-log-group", "--log-group-name", self.name)]
