"""The API-key SecureString parameter the task definition's ``secrets`` entry reads.

Created once with a generated value, encrypted with the deployment's KMS key. Its value is never
printed, read back or overwritten: rotating the key is the operator's decision, done with
``aws ssm put-parameter --overwrite``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from ecsdeploy.aws import Aws
from ecsdeploy.model import Change, CliWriter, Raw, Resolved, ResourcePlan
from ecsdeploy.resources.common import delete_if_ours
from ecsdeploy.tags import Ownership, tag_dict

KIND = "ssm parameter"
# 32 random bytes, URL-safe: fits a header and an environment variable as it is.
API_KEY_BYTES = 32


def generate_api_key() -> str:
    """A new random API key (never printed or logged)."""
    return secrets.token_urlsafe(API_KEY_BYTES)


@dataclass(frozen=True)
class ApiKeyParameter:
    """A SecureString parameter under the service's path, encrypted with ``key_alias``."""

    name: str
    arn: str
    key_alias: str
    key_arn_prefix: str
    description: str
    ownership: Ownership
    kind: str = KIND

    def _read(self, aws: Aws) -> tuple[dict, dict[str, str]] | None:
        ssm = aws.client("ssm")
        found = ssm.describe_parameters(
            ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [self.name]}]
        )["Parameters"]
        if not found:
            return None
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=self.name)
        return found[0], tag_dict(tags.get("TagList"))

    def _uses_key(self, key_id: str | None, resolved_key: str | None) -> bool:
        if resolved_key is None or key_id is None:
            return True  # the key does not exist yet: nothing to compare with
        return key_id in (self.key_alias, resolved_key, f"{self.key_arn_prefix}{resolved_key}")

    def plan(self, aws: Aws, resolved: Resolved) -> ResourcePlan:
        result = ResourcePlan(self.kind, self.name)
        found = self._read(aws)
        if found is None:
            result.changes.append(
                Change(
                    "create",
                    self.kind,
                    self.name,
                    lambda: aws.client("ssm").put_parameter(
                        Name=self.name,
                        Description=self.description,
                        Type="SecureString",
                        KeyId=self.key_alias,
                        Value=generate_api_key(),
                        Overwrite=False,
                        Tags=self.ownership.as_list(),
                    ),
                    detail=f"SecureString with a generated value, encrypted with {self.key_alias}",
                    resource=self.arn,
                )
            )
            return result
        parameter, tags = found
        owner = "ours" if self.ownership.owns(tags) else "not created by this tool"
        if parameter.get("Type") != "SecureString":
            result.notes.append(
                f"warning: {self.kind} {self.name} ({owner}) is a {parameter.get('Type')}, not a "
                "SecureString; it is never overwritten: delete it and deploy again to replace it"
            )
        elif not self._uses_key(parameter.get("KeyId"), resolved.parameter_key_id):
            result.notes.append(
                f"warning: {self.kind} {self.name} ({owner}) is encrypted with "
                f"{parameter.get('KeyId')}, not {self.key_alias}: the execution role may decrypt "
                "only that key, so tasks cannot start; it is never overwritten"
            )
        return result

    def teardown(self, aws: Aws) -> ResourcePlan:
        found = self._read(aws)
        return delete_if_ours(
            self,
            found and found[1],
            lambda: aws.client("ssm").delete_parameter(Name=self.name),
            found=found is not None,
        )

    def cli_create(self, cli: CliWriter) -> list[str]:
        return [
            cli.command(
                "ssm",
                "put-parameter",
                "--name",
                self.name,
                "--description",
                self.description,
                "--type",
                "SecureString",
                "--key-id",
                self.key_alias,
                "--value",
                Raw('"$(openssl rand -base64 32)"'),
                "--tags",
                *(f"Key={k},Value={v}" for k, v in self.ownership.tags),
            )
        ]

    def cli_delete(self, cli: CliWriter) -> list[str]:
        return [cli.command("ssm", "delete-parameter", "--name", self.name)]
