"""Push the image `make image` built to the service's ECR repository (created when missing).

It needs a Docker engine; without one it stops with a clear message. The registry login uses an
ECR authorization token from boto3, handed to ``docker login --password-stdin``: it never appears
in an argument list, the output or an error.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import replace

from botocore.exceptions import ClientError

from ecsdeploy.aws import Aws
from ecsdeploy.errors import DeployError
from ecsdeploy.inputs import StackInputs, repository_exists

Emit = Callable[[str], None]
NO_ENGINE = (
    "no Docker engine answers (`docker info` failed): start Docker (or point DOCKER_HOST at an "
    "engine) and run this again. Nothing was built or pushed."
)


def _docker(args: Sequence[str], **kwargs: object) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["docker", *args], check=False, **kwargs)  # type: ignore[call-overload]
    except FileNotFoundError:
        raise DeployError(
            "the docker command is not installed: install Docker to build and push the image"
        ) from None


def require_engine() -> None:
    """Raise DeployError unless a Docker engine answers."""
    result = _docker(["info"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    if result.returncode != 0:
        raise DeployError(NO_ENGINE)


def local_image(inputs: StackInputs) -> str:
    """The local name `make image` tags the image with: ``<service>:<tag>``."""
    return f"{inputs.context.ecr_repository}:{inputs.image_tag}"


def push_image(aws: Aws, inputs: StackInputs, emit: Emit) -> int:
    """Create the repository if needed, log in to ECR and push ``<service>:<tag>`` to it."""
    require_engine()
    context = replace(inputs.context, account_id=aws.account_id())
    ecr = aws.client("ecr")
    tag = inputs.image_tag
    try:
        if not repository_exists(aws, context):
            # As the template declares it: immutable tags, scanned on push.
            ecr.create_repository(
                repositoryName=context.ecr_repository,
                imageTagMutability="IMMUTABLE",
                imageScanningConfiguration={"scanOnPush": True},
            )
            emit(f"Created the ECR repository {context.ecr_repository}")
        found = ecr.batch_get_image(
            repositoryName=context.ecr_repository, imageIds=[{"imageTag": tag}]
        )["images"]
    except ClientError as exc:
        raise DeployError(aws.explain(exc, context.ecr_repository)) from None
    if found:
        raise DeployError(
            f"{context.ecr_repository}:{tag} is already in ECR and tags are immutable: commit your "
            "change and push the new commit's tag (make push), or pass another TAG"
        )
    authorization = aws.client("ecr").get_authorization_token()["authorizationData"][0]
    user, _, password = (
        base64.b64decode(authorization["authorizationToken"]).decode().partition(":")
    )
    registry = authorization["proxyEndpoint"].removeprefix("https://")
    login = _docker(
        ["login", "--username", user, "--password-stdin", registry],
        input=password.encode(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    if login.returncode != 0:
        reason = login.stderr.decode(errors="replace").strip()
        raise DeployError(f"docker login to {registry} failed (exit {login.returncode}): {reason}")
    remote = f"{context.ecr_registry}/{context.ecr_repository}:{tag}"
    for args in (["tag", local_image(inputs), remote], ["push", remote]):
        result = _docker(args)
        if result.returncode != 0:
            raise DeployError(f"docker {args[0]} failed (exit {result.returncode}); see above")
    emit(f"Pushed {remote}. Deploy it with: make deploy TAG={tag}")
    return 0
