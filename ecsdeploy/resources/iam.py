"""An IAM role with its trust policy and one inline permission policy, both rendered artifacts.

Documents are sent exactly as :func:`artifacts.render.dumps` writes them (what the checker checked)
and compared as parsed JSON, so formatting alone never causes an update. Inline policies cannot
carry tags: they belong to the tagged role. Extra inline policies on our role widen it beyond the
reference, so they are removed; attached managed policies are reported and left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from artifacts.render import dumps
from ecsdeploy.aws import Aws
from ecsdeploy.model import Change, CliWriter, Resolved, ResourcePlan
from ecsdeploy.resources.common import delete_if_ours, unless_missing
from ecsdeploy.tags import Ownership, tag_dict

KIND = "iam role"
POLICY_KIND = "iam role policy"
_NOT_FOUND = ("NoSuchEntity",)


@dataclass(frozen=True)
class Role:
    """A role trusted by ``trust`` with the inline policy ``policy_name``."""

    name: str
    arn: str
    description: str
    trust: dict[str, Any]
    policy_name: str
    policy: dict[str, Any]
    ownership: Ownership
    trust_source: str = ""
    policy_source: str = ""
    kind: str = KIND

    def _read(self, aws: Aws) -> dict | None:
        found = unless_missing(lambda: aws.client("iam").get_role(RoleName=self.name), *_NOT_FOUND)
        return found["Role"] if found else None

    def _inline_names(self, aws: Aws) -> list[str]:
        pages = aws.client("iam").get_paginator("list_role_policies").paginate(RoleName=self.name)
        return [name for page in pages for name in page["PolicyNames"]]

    def _put_policy(self, aws: Aws) -> None:
        aws.client("iam").put_role_policy(
            RoleName=self.name, PolicyName=self.policy_name, PolicyDocument=dumps(self.policy)
        )

    def _policy_change(self, aws: Aws, verb: str, detail: str) -> Change:
        return Change(
            verb,
            POLICY_KIND,
            f"{self.name}/{self.policy_name}",
            lambda: self._put_policy(aws),
            detail=detail,
            resource=self.arn,
        )

    def plan(self, aws: Aws, resolved: Resolved) -> ResourcePlan:
        iam = aws.client("iam")
        result = ResourcePlan(self.kind, self.name)
        role = self._read(aws)
        if role is None:
            result.changes += [
                Change(
                    "create",
                    self.kind,
                    self.name,
                    lambda: iam.create_role(
                        RoleName=self.name,
                        AssumeRolePolicyDocument=dumps(self.trust),
                        Description=self.description,
                        Tags=self.ownership.as_list(),
                    ),
                    detail=f"trust policy from {self.trust_source}",
                    resource=self.arn,
                ),
                self._policy_change(aws, "create", f"from {self.policy_source}"),
            ]
            return result
        if not self.ownership.owns(tag_dict(role.get("Tags"))):
            result.conflict = f"exists without the tags {self.ownership.describe()}"
            return result
        if role.get("AssumeRolePolicyDocument") != self.trust:
            result.changes.append(
                Change(
                    "update",
                    self.kind,
                    self.name,
                    lambda: iam.update_assume_role_policy(
                        RoleName=self.name, PolicyDocument=dumps(self.trust)
                    ),
                    detail=f"trust policy differs from {self.trust_source}",
                    resource=self.arn,
                )
            )
        names = self._inline_names(aws)
        if self.policy_name not in names:
            result.changes.append(self._policy_change(aws, "create", f"from {self.policy_source}"))
        else:
            actual = iam.get_role_policy(RoleName=self.name, PolicyName=self.policy_name)
            if actual["PolicyDocument"] != self.policy:
                result.changes.append(
                    self._policy_change(aws, "update", f"differs from {self.policy_source}")
                )
        for stray in sorted(set(names) - {self.policy_name}):
            result.changes.append(
                Change(
                    "delete",
                    POLICY_KIND,
                    f"{self.name}/{stray}",
                    lambda stray=stray: iam.delete_role_policy(
                        RoleName=self.name, PolicyName=stray
                    ),
                    detail="not part of the reference: it widens the role",
                    resource=self.arn,
                )
            )
        attached = iam.list_attached_role_policies(RoleName=self.name)["AttachedPolicies"]
        if attached:
            names_text = ", ".join(p["PolicyName"] for p in attached)
            result.notes.append(
                f"warning: {self.kind} {self.name} has managed policies attached ({names_text}) "
                "that the reference does not grant; left as they are"
            )
        return result

    def teardown(self, aws: Aws) -> ResourcePlan:
        iam = aws.client("iam")
        role = self._read(aws)

        def delete() -> None:
            for name in self._inline_names(aws):
                iam.delete_role_policy(RoleName=self.name, PolicyName=name)
            for policy in iam.list_attached_role_policies(RoleName=self.name)["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=self.name, PolicyArn=policy["PolicyArn"])
            profiles = iam.list_instance_profiles_for_role(RoleName=self.name)["InstanceProfiles"]
            for profile in profiles:
                iam.remove_role_from_instance_profile(
                    InstanceProfileName=profile["InstanceProfileName"], RoleName=self.name
                )
            iam.delete_role(RoleName=self.name)

        return delete_if_ours(
            self,
            role and tag_dict(role.get("Tags")),
            delete,
            found=role is not None,
            detail="with its inline policies",
        )

    def cli_create(self, cli: CliWriter) -> list[str]:
        return [
            cli.command(
                "iam",
                "create-role",
                "--role-name",
                self.name,
                "--description",
                self.description,
                "--assume-role-policy-document",
                cli.json(f"{self.name}-trust-policy.json", self.trust),
                "--tags",
                *(f"Key={k},Value={v}" for k, v in self.ownership.tags),
            ),
            cli.command(
                "iam",
                "put-role-policy",
                "--role-name",
                self.name,
                "--policy-name",
                self.policy_name,
                "--policy-document",
                cli.json(f"{self.name}-{self.policy_name}.json", self.policy),
            ),
        ]

    def cli_delete(self, cli: CliWriter) -> list[str]:
        return [
            cli.command(
                "iam",
                "delete-role-policy",
                "--role-name",
                self.name,
                "--policy-name",
                self.policy_name,
            ),
            cli.command("iam", "delete-role", "--role-name", self.name),
        ]
