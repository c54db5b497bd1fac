"""Set up the local AWS account on a moto server: the shipped artifacts applied, then IAM enforced.

::

    from ecslocal.bootstrap import bootstrap_account, enable_enforcement

    account = bootstrap_account(endpoint, api_key=api_key)   # enforcement must still be off
    enable_enforcement(endpoint)                             # from now on only moto's keys work
    sqs = account.client("sqs")                              # as the operator (full access)

:func:`bootstrap_account` runs as an admin identity while enforcement is off. It creates, in order:
the ``operator`` IAM user (full access; every later call runs as it), the KMS key for the
service's parameters (with its alias), then, from the artifacts rendered for the final context
(moto's account, the region, queue URLs on the endpoint, that key): the execution and task roles
(the trust policy and the permission policies applied byte for byte as rendered, plus the
template's explicit ``Deny iam:*`` on the task role), the two queues,
the API key as a SecureString under the service's parameter path, the log group, the ECR
repository with one image (its config and layer uploaded, so a pull check finds every blob), the
cluster and the task definition; last the ``agent`` IAM user, who stands for the
``ecs-tasks.amazonaws.com`` service principal and may only assume the two roles.
"""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from artifacts.context import DEFAULT_ENV, DEFAULT_SERVICE, LOCAL_REGION, DeploymentContext
from artifacts.render import POLICIES_DIR, TASKDEF_FILE, ArtifactSet, dumps, render_artifacts
from artifacts.template import TASK_ROLE_DENY_IAM, build_template
from ecslocal import motocompat
from ecslocal.agent import aws_error_message
from ecslocal.moto_server import BRIDGES_PATH

# The service principal ECS tasks assume their roles as; the local agent stands for it.
ECS_TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com"

# While enforcement is off moto accepts any key; these only name the bootstrap caller.
_BOOTSTRAP_KEY_ID = "AKIALOCALBOOTSTRAP00"
_BOOTSTRAP_SECRET = "ecslocal-bootstrap-only-while-enforcement-is-off"  # noqa: S105 - not a secret

_CLIENT_CONFIG = Config(
    connect_timeout=5, read_timeout=30, retries={"mode": "standard", "max_attempts": 2}
)
_SESSION_LOCK = threading.Lock()
_POLICY_VERSION = "2012-10-17"

# The image entry: a Docker image manifest (schema 2) whose config and one layer are uploaded.
_MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
_CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json"
_LAYER_MEDIA_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"


class BootstrapError(RuntimeError):
    """The local account cannot be set up; the message names the step and the cause."""


@dataclass(frozen=True)
class IamUserCredentials:
    """A moto-issued IAM user's access key. The secret never appears in ``repr``."""

    user_name: str
    arn: str
    access_key_id: str
    secret_access_key: str = field(repr=False)

    def client(self, service: str, endpoint: str, region: str) -> Any:
        """A boto3 client for ``service`` on the moto ``endpoint``, signing as this user.

        Thread-safe; clients share one session per user, which loads each service model once.
        """
        with _SESSION_LOCK:  # boto3 sessions are not thread-safe; the clients they make are
            return self._session.client(
                service, endpoint_url=endpoint, region_name=region, config=_CLIENT_CONFIG
            )

    @cached_property
    def _session(self) -> boto3.Session:
        return boto3.Session(
            aws_access_key_id=self.access_key_id, aws_secret_access_key=self.secret_access_key
        )


@dataclass(frozen=True)
class LocalAccount:
    """What :func:`bootstrap_account` created, and who may use it.

    - ``endpoint``: the moto server's URL.
    - ``context``: the final :class:`DeploymentContext`: moto's account, the region,
      ``sqs_endpoint`` = ``endpoint`` (so queue URLs are moto's), ``parameter_key_id`` = the KMS
      key created.
    - ``artifacts``: the :class:`ArtifactSet` rendered for ``context``, exactly what was applied.
    - ``execution_role_arn``, ``task_role_arn``; ``pending_queue_url``, ``confirmed_queue_url``;
      ``api_key_parameter`` (the SSM name); ``kms_key_id``, ``kms_key_arn``; ``log_group``;
      ``image_uri`` (tagged in the service's ECR repository); ``cluster_arn``;
      ``task_definition_arn``.
    - ``agent``: stands for the ``ecs-tasks.amazonaws.com`` service principal (its IAM user carries
      the :data:`~ecslocal.motocompat.SERVICE_PRINCIPAL_TAG`); its policy allows only
      ``sts:AssumeRole`` on the two roles.
    - ``operator``: full access; what tests and the tour use to inspect state (logs, queues).
    """

    endpoint: str
    context: DeploymentContext
    artifacts: ArtifactSet = field(repr=False)
    execution_role_arn: str
    task_role_arn: str
    pending_queue_url: str
    confirmed_queue_url: str
    api_key_parameter: str
    kms_key_id: str
    kms_key_arn: str
    log_group: str
    image_uri: str
    cluster_arn: str
    task_definition_arn: str
    agent: IamUserCredentials
    operator: IamUserCredentials

    @property
    def region(self) -> str:
        return self.context.region

    @property
    def account_id(self) -> str:
        return self.context.account_id

    def client(self, service: str, identity: IamUserCredentials | None = None) -> Any:
        """A client on the moto endpoint signing as ``identity`` (default: the operator)."""
        return (identity or self.operator).client(service, self.endpoint, self.region)


def agent_user_name(context: DeploymentContext) -> str:
    """The local agent's IAM user (local only: no deployment has it)."""
    return f"{context.prefix}-local-agent"


def operator_user_name(context: DeploymentContext) -> str:
    """The local operator's IAM user (local only: no deployment has it)."""
    return f"{context.prefix}-local-operator"


def _policy(sid: str, actions: str | list[str], resources: str | list[str]) -> str:
    statement = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    return dumps({"Version": _POLICY_VERSION, "Statement": [statement]})


class _Steps:
    """Runs each bootstrap call, turning any failure into a BootstrapError naming the step."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def __call__(self, step: str, call: Any, **kwargs: Any) -> Any:
        try:
            return call(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            message = aws_error_message(str(error.get("Message", ""))).strip()
            detail = f"{error.get('Code', '?')}: {message.splitlines()[0] if message else ''}"
            hint = ""
            if (
                status == 403
                or "AccessDenied" in str(error)
                or "InvalidClientTokenId" in str(error)
            ):
                hint = " (is IAM enforcement already on? bootstrap needs a fresh moto server)"
            elif "AlreadyExists" in str(error.get("Code", "")):
                hint = " (already bootstrapped? start a fresh moto server)"
            raise BootstrapError(f"{step} failed at {self.endpoint}: {detail}{hint}") from None
        except BotoCoreError as exc:
            raise BootstrapError(
                f"{step} failed: cannot reach moto at {self.endpoint}: {exc}"
            ) from None


def _create_user(
    iam: Any, run: _Steps, name: str, policy_name: str, policy: str, tags: list[dict[str, str]]
) -> IamUserCredentials:
    user = run(f"create IAM user {name}", iam.create_user, UserName=name, Tags=tags)["User"]
    run(
        f"put policy on IAM user {name}",
        iam.put_user_policy,
        UserName=name,
        PolicyName=policy_name,
        PolicyDocument=policy,
    )
    key = run(f"create access key for {name}", iam.create_access_key, UserName=name)["AccessKey"]
    return IamUserCredentials(
        user_name=name,
        arn=user["Arn"],
        access_key_id=key["AccessKeyId"],
        secret_access_key=key["SecretAccessKey"],
    )


def _image_tag(context: DeploymentContext) -> str:
    """The tag of the task definition's image, which must be in the service's repository."""
    repository_uri = f"{context.ecr_registry}/{context.ecr_repository}"
    name, _, tag = context.image_uri.rpartition(":")
    if name != repository_uri or not tag or "/" in tag:
        raise BootstrapError(
            f"image {context.image_uri!r} is not a tag in the service's repository {repository_uri}"
        )
    return tag


def _push_image(ecr: Any, run: _Steps, context: DeploymentContext) -> str:
    """Upload a config blob and one layer and put a manifest naming them under the image tag."""
    repository = context.ecr_repository
    config = dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Labels": {"service": context.service}},
            "rootfs": {"type": "layers", "diff_ids": []},
        }
    ).encode()
    layer = f"local stand-in layer of {context.image_uri}\n".encode()
    blobs = []
    for blob in (config, layer):
        upload = run("start ECR layer upload", ecr.initiate_layer_upload, repositoryName=repository)
        run(
            "upload ECR layer",
            ecr.upload_layer_part,
            repositoryName=repository,
            uploadId=upload["uploadId"],
            partFirstByte=0,
            partLastByte=len(blob) - 1,
            layerPartBlob=blob,
        )
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        run(
            "complete ECR layer upload",
            ecr.complete_layer_upload,
            repositoryName=repository,
            uploadId=upload["uploadId"],
            layerDigests=[digest],
        )
        blobs.append({"size": len(blob), "digest": digest})
    manifest = {
        "schemaVersion": 2,
        "mediaType": _MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": _CONFIG_MEDIA_TYPE, **blobs[0]},
        "layers": [{"mediaType": _LAYER_MEDIA_TYPE, **blobs[1]}],
    }
    run(
        "put ECR image",
        ecr.put_image,
        repositoryName=repository,
        imageManifest=json.dumps(manifest),
        imageTag=_image_tag(context),
    )
    return context.image_uri


def bootstrap_account(
    endpoint: str,
    *,
    api_key: str,
    policies_dir: Path = POLICIES_DIR,
    taskdef_file: Path = TASKDEF_FILE,
    service: str = DEFAULT_SERVICE,
    env: str = DEFAULT_ENV,
    region: str = LOCAL_REGION,
) -> LocalAccount:
    """Apply the artifacts to the moto server at ``endpoint`` (enforcement must be off).

    Raises :class:`BootstrapError` naming the failed step (and :class:`artifacts.ArtifactError` /
    ``ContextError`` for bad artifact files or names). The API key is never part of an error.
    """
    if not api_key or api_key != api_key.strip():
        raise BootstrapError("the API key must be non-empty, without surrounding whitespace")
    endpoint = moto_endpoint(endpoint)
    run = _Steps(endpoint)
    bootstrap = boto3.Session(
        aws_access_key_id=_BOOTSTRAP_KEY_ID,
        aws_secret_access_key=_BOOTSTRAP_SECRET,
        region_name=region,
    )

    def as_bootstrap(name: str) -> Any:
        return bootstrap.client(name, endpoint_url=endpoint, config=_CLIENT_CONFIG)

    account_id = run("read the account id", as_bootstrap("sts").get_caller_identity)["Account"]
    context = DeploymentContext(
        account_id=account_id, region=region, service=service, env=env, sqs_endpoint=endpoint
    )

    # The admin identity first: everything after runs as it.
    operator = _create_user(
        as_bootstrap("iam"),
        run,
        operator_user_name(context),
        "local-operator-full-access",
        _policy("LocalOperatorFullAccess", "*", "*"),
        tags=[],
    )

    def client(name: str) -> Any:
        return operator.client(name, endpoint, region)

    kms = client("kms")
    key = run(
        "create the parameters' KMS key",
        kms.create_key,
        Description=f"Encrypts the SecureString parameters under {context.parameter_path}",
    )["KeyMetadata"]
    run(
        "alias the KMS key",
        kms.create_alias,
        AliasName=context.parameter_key_alias,
        TargetKeyId=key["KeyId"],
    )
    context = replace(context, parameter_key_id=key["KeyId"])
    artifacts = render_artifacts(context, policies_dir, taskdef_file)

    iam = client("iam")
    roles = {}
    for role_name, policy, source in (
        (context.execution_role_name, artifacts.execution_policy, "execution_policy"),
        (context.task_role_name, artifacts.task_policy, "task_policy"),
    ):
        role = run(
            f"create role {role_name}",
            iam.create_role,
            RoleName=role_name,
            AssumeRolePolicyDocument=dumps(artifacts.trust_policy),
        )["Role"]
        run(
            f"put the permission policy on role {role_name}",
            iam.put_role_policy,
            RoleName=role_name,
            PolicyName=artifacts.sources[source].stem,
            PolicyDocument=dumps(policy),
        )
        roles[role_name] = role["Arn"]
    # The template's explicit Deny iam:* on the task role, so the demo's task role is the template's.
    deny = build_template()["Resources"][TASK_ROLE_DENY_IAM]["Properties"]
    run(
        f"put the {deny['PolicyName']} policy on role {context.task_role_name}",
        iam.put_role_policy,
        RoleName=context.task_role_name,
        PolicyName=deny["PolicyName"],
        PolicyDocument=dumps(deny["PolicyDocument"]),
    )

    sqs = client("sqs")
    queue_urls = []
    for queue_name in context.queue_names:
        url = run(f"create queue {queue_name}", sqs.create_queue, QueueName=queue_name)["QueueUrl"]
        if url != context.queue_url(queue_name):
            raise BootstrapError(
                f"moto answered queue URL {url} where the task definition says "
                f"{context.queue_url(queue_name)}: is {endpoint} the address clients use?"
            )
        queue_urls.append(url)

    run(
        f"put the API key parameter {context.api_key_parameter}",
        client("ssm").put_parameter,
        Name=context.api_key_parameter,
        Value=api_key,
        Type="SecureString",
        KeyId=key["KeyId"],
    )
    run(
        f"create log group {context.log_group}",
        client("logs").create_log_group,
        logGroupName=context.log_group,
    )

    ecr = client("ecr")
    run(
        f"create ECR repository {context.ecr_repository}",
        ecr.create_repository,
        repositoryName=context.ecr_repository,
    )
    image_uri = _push_image(ecr, run, context)

    ecs = client("ecs")
    cluster = run(
        f"create cluster {context.cluster_name}",
        ecs.create_cluster,
        clusterName=context.cluster_name,
    )["cluster"]
    task_definition = run(
        f"register task definition {context.task_family}",
        ecs.register_task_definition,
        **artifacts.task_definition,
    )["taskDefinition"]

    agent = _create_user(
        iam,
        run,
        agent_user_name(context),
        "local-agent-assume-task-roles",
        _policy("AssumeTheTaskRoles", "sts:AssumeRole", list(roles.values())),
        tags=[{"Key": motocompat.SERVICE_PRINCIPAL_TAG, "Value": ECS_TASKS_PRINCIPAL}],
    )

    return LocalAccount(
        endpoint=endpoint,
        context=context,
        artifacts=artifacts,
        execution_role_arn=roles[context.execution_role_name],
        task_role_arn=roles[context.task_role_name],
        pending_queue_url=queue_urls[0],
        confirmed_queue_url=queue_urls[1],
        api_key_parameter=context.api_key_parameter,
        kms_key_id=key["KeyId"],
        kms_key_arn=key["Arn"],
        log_group=context.log_group,
        image_uri=image_uri,
        cluster_arn=cluster["clusterArn"],
        task_definition_arn=task_definition["taskDefinitionArn"],
        agent=agent,
        operator=operator,
    )


def moto_endpoint(url: str) -> str:
    """``url`` without a trailing slash; :class:`BootstrapError` unless it is a server's base URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
        raise BootstrapError(f"{url!r} is not a moto endpoint URL like http://127.0.0.1:5000")
    return url.rstrip("/")


def require_bridges(endpoint: str, timeout: float = 10.0) -> None:
    """Raise :class:`BootstrapError` unless the moto server at ``endpoint`` has every bridge.

    Only a server started with ``python -m ecslocal moto-server`` has them. Without them the
    shipped trust policy crashes moto's ``AssumeRole`` (HTTP 500) once enforcement is on, so the
    check runs before bootstrap changes anything on the server.
    """
    endpoint = moto_endpoint(endpoint)
    try:
        with urllib.request.urlopen(f"{endpoint}{BRIDGES_PATH}", timeout=timeout) as response:  # noqa: S310 - the moto endpoint the operator named
            listing = json.loads(response.read())
        served = set(listing["bridges"])
    except urllib.error.HTTPError:
        served = set()
    except (urllib.error.URLError, OSError) as exc:
        raise BootstrapError(f"cannot reach moto at {endpoint}: {exc}") from None
    except (ValueError, KeyError, TypeError):
        served = set()
    missing = [name for name in motocompat.bridge_names() if name not in served]
    if missing:
        raise BootstrapError(
            f"the moto server at {endpoint} lacks the compatibility bridges the shipped policies "
            f"need ({', '.join(missing)}): start it with `python -m ecslocal moto-server` "
            "(or leave out --aws-endpoint for an embedded one)"
        )


def enable_enforcement(endpoint: str, timeout: float = 10.0) -> None:
    """Switch IAM enforcement on at the moto server: afterwards only moto-issued keys work.

    moto's ``POST /moto-api/reset-auth`` with body ``0`` sets the number of unauthenticated
    requests still allowed to zero.
    """
    # Not form-encoded: moto reads the raw body, which werkzeug empties for form posts.
    request = urllib.request.Request(  # noqa: S310 - the moto endpoint the caller started
        f"{endpoint.rstrip('/')}/moto-api/reset-auth",
        data=b"0",
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            answer = json.loads(response.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise BootstrapError(f"cannot switch IAM enforcement on at {endpoint}: {exc}") from None
    if answer.get("status") != "ok":
        raise BootstrapError(f"moto at {endpoint} did not switch IAM enforcement on: {answer}")
