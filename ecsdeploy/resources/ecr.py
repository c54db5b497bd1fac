"""The service's ECR repository: scan on push, immutable tags.

Immutable tags mean a deployed tag always names the same image (a rollback really rolls back), so
images are pushed under a fresh tag each time (``make push`` uses the commit). The repository is
shared by every environment of the service, so it carries only the service tag, an existing
repository we did not create is used as it is, and ``destroy`` deletes ours only when it is empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from ecsdeploy.aws import Aws
from ecsdeploy.errors import error_code
from ecsdeploy.model import Change, CliWriter, Resolved, ResourcePlan
from ecsdeploy.resources.common import delete_if_ours, unless_missing
from ecsdeploy.tags import Ownership, tag_dict

KIND = "ecr repository"
TAG_MUTABILITY = "IMMUTABLE"
_NOT_FOUND = ("RepositoryNotFoundException",)


@dataclass(frozen=True)
class Repository:
    """An ECR repository named after the service."""

    name: str
    arn: str
    ownership: Ownership
    kind: str = KIND

    def _read(self, aws: Aws) -> tuple[dict, dict[str, str]] | None:
        ecr = aws.client("ecr")
        found = unless_missing(
            lambda: ecr.describe_repositories(repositoryNames=[self.name]), *_NOT_FOUND
        )
        if not found:
            return None
        repository = found["repositories"][0]
        tags = ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"]).get("tags")
        return repository, tag_dict(tags)

    def ensure(self, aws: Aws) -> ResourcePlan:
        """The plan of the repository alone (``push`` creates it before the first deploy)."""
        return self.plan(aws, Resolved())

    def plan(self, aws: Aws, resolved: Resolved) -> ResourcePlan:
        ecr = aws.client("ecr")
        result = ResourcePlan(self.kind, self.name)
        found = self._read(aws)
        if found is None:
            result.changes.append(
                Change(
                    "create",
                    self.kind,
                    self.name,
                    lambda: ecr.create_repository(
                        repositoryName=self.name,
                        imageTagMutability=TAG_MUTABILITY,
                        imageScanningConfiguration={"scanOnPush": True},
                        tags=self.ownership.as_list(),
                    ),
                    detail="scan on push, immutable tags",
                    resource=self.arn,
                )
            )
            return result
        repository, tags = found
        if not self.ownership.owns(tags):
            result.notes.append(
                f"{self.kind} {self.name} exists and was not created by this tool: used as it is, "
                "never changed or deleted"
            )
            return result
        if repository.get("imageTagMutability") != TAG_MUTABILITY:
            result.changes.append(
                Change(
                    "update",
                    self.kind,
                    self.name,
                    lambda: ecr.put_image_tag_mutability(
                        repositoryName=self.name, imageTagMutability=TAG_MUTABILITY
                    ),
                    detail=f"tag mutability {repository.get('imageTagMutability')} -> {TAG_MUTABILITY}",
                    resource=self.arn,
                )
            )
        if not repository.get("imageScanningConfiguration", {}).get("scanOnPush"):
            result.changes.append(
                Change(
                    "update",
                    self.kind,
                    self.name,
                    lambda: ecr.put_image_scanning_configuration(
                        repositoryName=self.name, imageScanningConfiguration={"scanOnPush": True}
                    ),
                    detail="turn scan on push on",
                    resource=self.arn,
                )
            )
        return result

    def has_image(self, aws: Aws, tag: str) -> bool:
        """Whether the repository exists and holds an image tagged ``tag``."""
        found = unless_missing(
            lambda: aws.client("ecr").describe_images(
                repositoryName=self.name, imageIds=[{"imageTag": tag}]
            ),
            "ImageNotFoundException",
            *_NOT_FOUND,
        )
        return bool(found and found.get("imageDetails"))

    def _delete(self, aws: Aws) -> str | None:
        try:
            aws.client("ecr").delete_repository(repositoryName=self.name)
        except ClientError as exc:
            if error_code(exc) != "RepositoryNotEmptyException":
                raise
            return (
                f"kept {self.kind} {self.name}: it holds images (other environments of the "
                "service may use them); delete them first to remove it"
            )
        return None

    def teardown(self, aws: Aws) -> ResourcePlan:
        found = self._read(aws)
        return delete_if_ours(
            self,
            found and found[1],
            lambda: self._delete(aws),
            found=found is not None,
            detail="only if empty: its images may serve other environments",
        )

    def cli_create(self, cli: CliWriter) -> list[str]:
        return [
            cli.command(
                "ecr",
                "create-repository",
                "--repository-name",
                self.name,
                "--image-tag-mutability",
                TAG_MUTABILITY,
                "--image-scanning-configuration",
                "scanOnPush=true",
                "--tags",
                *(f"Key={k},Value={v}" for k, v in self.ownership.tags),
            )
        ]

    def cli_delete(self, cli: CliWriter) -> list[str]:
        return [cli.command("ecr", "delete-repository", "--repository-name", self.name)]
