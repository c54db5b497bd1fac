"""The local agent's work for the execution role, as the ECS agent does it before a task starts.

With the execution role's credentials only: check the image can be pulled (an ECR authorization
token and the image manifest), resolve every ``secrets`` entry (SSM ``GetParameters`` with
decryption, Secrets Manager ``GetSecretValue``) and create the ``awslogs`` stream. A failure stops the
task before its container starts, with the kind of reason ECS gives (``ResourceInitializationError``,
``CannotPullContainerError``).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ecslocal.task import Container
from service.config import partition_for

SSM_BATCH = 10  # GetParameters takes at most 10 names
_ECR_IMAGE_RE = re.compile(
    r"^(?P<registry>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)
_SECRET_ARN_RE = re.compile(r"^arn:[^:]+:secretsmanager:[^:]*:\d{12}:secret:")

_XML_MESSAGE_RE = re.compile(r"<Message>(.*?)</Message>", re.DOTALL)
_XML_CODE_RE = re.compile(r"<Code>(.*?)</Code>", re.DOTALL)

RESOURCE_INIT = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed"


class TaskStartError(RuntimeError):
    """The task cannot start; the message is the stopped reason, worded as ECS words it."""


@dataclass(frozen=True)
class EcrImage:
    """An image reference in an ECR registry."""

    registry_id: str
    repository: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, image: str) -> EcrImage | None:
        """The ECR parts of ``image``, or None when it is not in an ECR registry."""
        match = _ECR_IMAGE_RE.match(image)
        if not match:
            return None
        tag = match["tag"] or (None if match["digest"] else "latest")
        return cls(match["registry"], match["repository"], tag, match["digest"])

    def image_id(self) -> dict[str, str]:
        return {"imageDigest": self.digest} if self.digest else {"imageTag": str(self.tag)}


@dataclass(frozen=True)
class PreparedContainer:
    """What the agent gathered for one container. ``repr`` never shows the secret values."""

    image_id: str
    secrets: dict[str, str] = field(repr=False)
    log_group: str | None
    log_stream: str | None


def aws_error_message(message: str) -> str:
    """The human part of an AWS error message (moto answers some JSON APIs with an XML body)."""
    match = _XML_MESSAGE_RE.search(message)
    return html.unescape(match[1]) if match else message


def describe_client_error(exc: Exception, resource: str | None = None) -> str:
    """``Code: message`` for an AWS error, with the code spelled as the service spells it.

    A denial that does not say which resource it was about gets ``on resource: <resource>``.
    """
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = aws_error_message(str(error.get("Message", "")))
        if resource and "not authorized" in message and "on resource" not in message:
            message = f"{message} on resource: {resource}"
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        xml_code = _XML_CODE_RE.search(code)
        if xml_code:
            code = xml_code[1]
        if not code or code.isdigit() or code == "AccessDenied" or code.startswith("<"):
            # moto may put the HTTP status where the code belongs; the SDK name is AccessDeniedException.
            code = "AccessDeniedException" if status == 403 or "not authorized" in message else code
        return f"{code}: {message}".strip()
    if isinstance(exc, BotoCoreError):
        return f"{type(exc).__name__}: {exc}"
    return type(exc).__name__


class ExecutionAgent:
    """Does the execution role's part of starting one task.

    ``client`` builds a client for a service name from the execution role's session (and the
    endpoint); nothing here sees any other credentials.
    """

    def __init__(self, client: Callable[[str], Any], region: str) -> None:
        self._client = client
        self._region = region

    # -- image -----------------------------------------------------------------------------------
    def check_image(self, image: str) -> str:
        """Check ``image`` can be pulled; its manifest digest (``sha256:...``), or "" for non-ECR."""
        ref = EcrImage.parse(image)
        if ref is None:
            return ""  # public registries need no execution-role permission
        ecr = self._client("ecr")
        repository_arn = (
            f"arn:{partition_for(self._region)}:ecr:{self._region}:{ref.registry_id}:"
            f"repository/{ref.repository}"
        )
        try:
            ecr.get_authorization_token(registryIds=[ref.registry_id])
        except (ClientError, BotoCoreError) as exc:
            raise TaskStartError(
                f"{RESOURCE_INIT}: unable to retrieve ecr registry auth: service call has been "
                f"retried 1 time(s): {describe_client_error(exc, '*')}"
            ) from None
        try:
            response = ecr.batch_get_image(
                registryId=ref.registry_id,
                repositoryName=ref.repository,
                imageIds=[ref.image_id()],
                acceptedMediaTypes=[
                    "application/vnd.docker.distribution.manifest.v2+json",
                    "application/vnd.oci.image.manifest.v1+json",
                ],
            )
        except (ClientError, BotoCoreError) as exc:
            raise TaskStartError(
                f"CannotPullContainerError: pull image manifest has been retried 1 time(s): "
                f"failed to resolve ref {image}: {describe_client_error(exc, repository_arn)}"
            ) from None
        images = response.get("images") or []
        if not images:
            failure = (response.get("failures") or [{}])[0]
            reason = failure.get("failureReason") or failure.get("failureCode") or "not found"
            raise TaskStartError(
                f"CannotPullContainerError: pull image manifest has been retried 1 time(s): "
                f"failed to resolve ref {image}: {image}: not found ({reason})"
            )
        return str(images[0].get("imageId", {}).get("imageDigest", ""))

    # -- secrets ---------------------------------------------------------------------------------
    def resolve_secrets(self, secrets: list[Mapping[str, str]]) -> dict[str, str]:
        """Every ``secrets`` entry as ``{name: value}``."""
        ssm_entries = [s for s in secrets if not _SECRET_ARN_RE.match(s["valueFrom"])]
        sm_entries = [s for s in secrets if _SECRET_ARN_RE.match(s["valueFrom"])]
        values: dict[str, str] = {}
        values.update(self._from_ssm(ssm_entries))
        values.update(self._from_secrets_manager(sm_entries))
        return values

    def _from_ssm(self, entries: list[Mapping[str, str]]) -> dict[str, str]:
        if not entries:
            return {}
        ssm = self._client("ssm")
        refs = sorted({e["valueFrom"] for e in entries})
        found: dict[str, str] = {}
        invalid: list[str] = []
        for start in range(0, len(refs), SSM_BATCH):
            chunk = refs[start : start + SSM_BATCH]
            try:
                response = ssm.get_parameters(Names=chunk, WithDecryption=True)
            except (ClientError, BotoCoreError) as exc:
                raise TaskStartError(
                    f"{RESOURCE_INIT}: unable to retrieve secrets from ssm: service call has been "
                    f"retried 1 time(s): {describe_client_error(exc, ', '.join(chunk))}"
                ) from None
            for parameter in response.get("Parameters", []):
                found[parameter["Name"]] = parameter["Value"]
                found[parameter["ARN"]] = parameter["Value"]
            invalid.extend(response.get("InvalidParameters", []))
        if invalid:
            raise TaskStartError(
                f"{RESOURCE_INIT}: unable to retrieve secrets from ssm: invalid parameters: "
                + ", ".join(invalid)
            )
        values = {}
        for entry in entries:
            ref = entry["valueFrom"]
            if ref not in found:
                raise TaskStartError(
                    f"{RESOURCE_INIT}: unable to retrieve secrets from ssm: invalid parameters: {ref}"
                )
            values[entry["name"]] = found[ref]
        return values

    def _from_secrets_manager(self, entries: list[Mapping[str, str]]) -> dict[str, str]:
        values = {}
        client = self._client("secretsmanager") if entries else None
        for entry in entries:
            secret_id, json_key, stage, version = _split_secret_ref(entry["valueFrom"])
            kwargs: dict[str, str] = {"SecretId": secret_id}
            if stage:
                kwargs["VersionStage"] = stage
            if version:
                kwargs["VersionId"] = version
            try:
                response = client.get_secret_value(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                raise TaskStartError(
                    f"{RESOURCE_INIT}: unable to retrieve secret from asm: service call has been "
                    f"retried 1 time(s): failed to fetch secret {secret_id}: "
                    f"{describe_client_error(exc, secret_id)}"
                ) from None
            value = response.get("SecretString", "")
            if json_key:
                try:
                    value = str(json.loads(value)[json_key])
                except (ValueError, KeyError, TypeError):
                    raise TaskStartError(
                        f"{RESOURCE_INIT}: unable to retrieve secret from asm: retrieved secret "
                        f"from Secrets Manager did not contain json key {json_key}"
                    ) from None
            values[entry["name"]] = value
        return values

    # -- logs ------------------------------------------------------------------------------------
    def create_log_stream(self, group: str, stream: str) -> None:
        """Create the awslogs stream (an existing one is fine, as with the awslogs driver)."""
        logs = self._client("logs")
        try:
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceAlreadyExistsException":
                return
            raise TaskStartError(
                "ResourceInitializationError: failed to validate logger args: create stream has "
                f"been retried 1 times: failed to create Cloudwatch log stream: "
                f"{describe_client_error(exc, f'log-group:{group}:log-stream:{stream}')}"
            ) from None
        except BotoCoreError as exc:
            raise TaskStartError(
                "ResourceInitializationError: failed to validate logger args: "
                f"{describe_client_error(exc)}"
            ) from None

    # -- all of it -------------------------------------------------------------------------------
    def prepare(self, container: Container, log_stream: str | None) -> PreparedContainer:
        """Registry auth and secrets, then the image, then the log stream (ECS's order)."""
        secrets = self.resolve_secrets(list(container.definition.get("secrets") or []))
        image_id = self.check_image(container.image)
        log_group = None
        if log_stream is not None:
            options = (container.definition.get("logConfiguration") or {}).get("options") or {}
            log_group = options.get("awslogs-group")
            if not log_group:
                raise TaskStartError(
                    "ResourceInitializationError: failed to validate logger args: "
                    "awslogs-group is required"
                )
            self.create_log_stream(log_group, log_stream)
        return PreparedContainer(image_id, secrets, log_group, log_stream)


def _split_secret_ref(value_from: str) -> tuple[str, str, str, str]:
    """Split ``arn:...:secret:name-suffix[:json-key:version-stage:version-id]``."""
    parts = value_from.split(":")
    # arn, partition, service, region, account, "secret", name  -> 7 parts for a bare ARN
    base = ":".join(parts[:7])
    extra = [*parts[7:], "", "", ""]
    return base, extra[0], extra[1], extra[2]
