"""The customer-managed KMS key that encrypts the service's SecureString parameters, and its alias.

The key is found through its alias. A key of ours without an alias (a deploy stopped between the
two calls) is found again through its tags, so a re-run adds the alias instead of a second key.
Aliases cannot carry tags: one is deleted only together with the tagged key it points to.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecsdeploy.aws import Aws
from ecsdeploy.model import Change, CliWriter, Raw, Resolved, ResourcePlan
from ecsdeploy.resources.common import unless_missing
from ecsdeploy.tags import Ownership

KIND = "kms key"
# The shortest waiting period KMS allows: the key can still be recovered within it.
DELETION_WINDOW_DAYS = 7
_NOT_FOUND = ("NotFoundException",)
# The shell variable the printed commands keep the new key's id in.
KEY_ID_VAR = Raw('"$KEY_ID"')


@dataclass(frozen=True)
class ParameterKey:
    """A symmetric key with rotation on, reached by ``alias``."""

    alias: str
    description: str
    ownership: Ownership
    kind: str = KIND

    @property
    def name(self) -> str:
        return self.alias

    def _metadata(self, aws: Aws, key: str) -> dict | None:
        found = unless_missing(lambda: aws.client("kms").describe_key(KeyId=key), *_NOT_FOUND)
        return found["KeyMetadata"] if found else None

    def _owned(self, aws: Aws, key_id: str) -> bool:
        tags = aws.client("kms").list_resource_tags(KeyId=key_id).get("Tags", [])
        return self.ownership.owns({t["TagKey"]: t["TagValue"] for t in tags})

    def _orphans(self, aws: Aws) -> list[dict]:
        """Enabled keys of ours that no alias points to."""
        found = []
        pages = aws.client("resourcegroupstaggingapi").get_paginator("get_resources")
        for page in pages.paginate(
            TagFilters=self.ownership.as_filters(), ResourceTypeFilters=["kms:key"]
        ):
            for mapping in page["ResourceTagMappingList"]:
                metadata = self._metadata(aws, mapping["ResourceARN"])
                if not metadata or metadata["KeyState"] != "Enabled":
                    continue
                aliases = aws.client("kms").list_aliases(KeyId=metadata["KeyId"])["Aliases"]
                if not aliases:
                    found.append(metadata)
        return found

    def plan(self, aws: Aws, resolved: Resolved) -> ResourcePlan:
        kms = aws.client("kms")
        result = ResourcePlan(self.kind, self.name)
        metadata = self._metadata(aws, self.alias)
        if metadata is not None:
            key_id = metadata["KeyId"]
            if not self._owned(aws, key_id):
                result.conflict = (
                    f"alias {self.alias} points to key {key_id}, which is not tagged "
                    f"{self.ownership.describe()}: this tool did not create it and will not use it"
                )
                return result
            if metadata["KeyState"] != "Enabled":
                result.conflict = f"key {key_id} behind {self.alias} is {metadata['KeyState']}"
                return result
            resolved.parameter_key_id = key_id
            if not kms.get_key_rotation_status(KeyId=key_id).get("KeyRotationEnabled"):
                result.changes.append(self._enable_rotation(aws, resolved, "rotation is off"))
            return result

        orphans = self._orphans(aws)
        if orphans:
            key_id = orphans[0]["KeyId"]
            resolved.parameter_key_id = key_id
            result.changes.append(
                Change(
                    "create",
                    "kms alias",
                    self.alias,
                    lambda: kms.create_alias(AliasName=self.alias, TargetKeyId=key_id),
                    detail=f"for our existing key {key_id}",
                    resource=orphans[0]["Arn"],
                )
            )
            if not kms.get_key_rotation_status(KeyId=key_id).get("KeyRotationEnabled"):
                result.changes.append(self._enable_rotation(aws, resolved, "rotation is off"))
            return result

        def create_key() -> None:
            key = kms.create_key(
                Description=self.description,
                KeyUsage="ENCRYPT_DECRYPT",
                KeySpec="SYMMETRIC_DEFAULT",
                Tags=self.ownership.as_list("TagKey", "TagValue"),
            )
            resolved.parameter_key_id = key["KeyMetadata"]["KeyId"]
            kms.enable_key_rotation(KeyId=resolved.parameter_key_id)

        result.changes += [
            Change(
                "create",
                self.kind,
                "(new key)",
                create_key,
                detail=f"{self.description}; yearly automatic rotation",
            ),
            Change(
                "create",
                "kms alias",
                self.alias,
                lambda: kms.create_alias(
                    AliasName=self.alias, TargetKeyId=resolved.parameter_key_id
                ),
            ),
        ]
        return result

    def _enable_rotation(self, aws: Aws, resolved: Resolved, why: str) -> Change:
        return Change(
            "update",
            self.kind,
            self.alias,
            lambda: aws.client("kms").enable_key_rotation(KeyId=resolved.parameter_key_id),
            detail=f"enable key rotation ({why})",
        )

    def teardown(self, aws: Aws) -> ResourcePlan:
        kms = aws.client("kms")
        result = ResourcePlan(self.kind, self.name)
        metadata = self._metadata(aws, self.alias)
        keys: list[dict] = []
        if metadata is not None:
            if not self._owned(aws, metadata["KeyId"]):
                result.notes.append(
                    f"left alone: {self.alias} -> key {metadata['KeyId']} "
                    f"(not tagged {self.ownership.describe()})"
                )
                return result
            result.changes.append(
                Change(
                    "delete",
                    "kms alias",
                    self.alias,
                    lambda: kms.delete_alias(AliasName=self.alias),
                )
            )
            if metadata["KeyState"] not in ("PendingDeletion", "PendingReplicaDeletion"):
                keys.append(metadata)
        else:
            keys = self._orphans(aws)
        for key in keys:
            key_id = key["KeyId"]
            result.changes.append(
                Change(
                    "delete",
                    self.kind,
                    key_id,
                    lambda key_id=key_id: kms.schedule_key_deletion(
                        KeyId=key_id, PendingWindowInDays=DELETION_WINDOW_DAYS
                    ),
                    detail=f"scheduled: KMS deletes it after {DELETION_WINDOW_DAYS} days",
                    resource=key["Arn"],
                )
            )
        return result

    def cli_create(self, cli: CliWriter) -> list[str]:
        tags = [f"TagKey={k},TagValue={v}" for k, v in self.ownership.tags]
        create = cli.command(
            "kms",
            "create-key",
            "--description",
            self.description,
            "--tags",
            *tags,
            "--query",
            "KeyMetadata.KeyId",
            "--output",
            "text",
        )
        return [
            f"KEY_ID=$({create})",
            cli.command(
                "kms", "create-alias", "--alias-name", self.alias, "--target-key-id", KEY_ID_VAR
            ),
            cli.command("kms", "enable-key-rotation", "--key-id", KEY_ID_VAR),
        ]

    def cli_delete(self, cli: CliWriter) -> list[str]:
        describe = cli.command(
            "kms",
            "describe-key",
            "--key-id",
            self.alias,
            "--query",
            "KeyMetadata.KeyId",
            "--output",
            "text",
        )
        return [
            f"KEY_ID=$({describe})",
            cli.command("kms", "delete-alias", "--alias-name", self.alias),
            cli.command(
                "kms",
                "schedule-key-deletion",
                "--key-id",
                KEY_ID_VAR,
                "--pending-window-in-days",
                str(DELETION_WINDOW_DAYS),
            ),
        ]
