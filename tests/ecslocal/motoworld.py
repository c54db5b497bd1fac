"""A small AWS world on a moto endpoint, to probe IAM enforcement with and without the bridges.

Pure boto3 (no moto or ecslocal import), so the gap probe can run it against pristine moto in its
own process and the bridge tests against the bridged server. Every identity is an IAM user whose
policy is scoped the way AWS expects; ``star`` has the same actions on ``*`` as a control.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

REGION = "us-east-1"
ECS_TASKS = "ecs-tasks.amazonaws.com"
SERVICE_PRINCIPAL_TAG = "ecslocal:service-principal"  # what ecslocal.motocompat reads
# One session: it caches the service models every client needs.
_SESSION = boto3.Session(region_name=REGION)
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 1}, read_timeout=20)

SSM_ACTIONS = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"]
LOGS_ACTIONS = [
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "logs:DescribeLogStreams",
    "logs:GetLogEvents",
]
ECR_PULL_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:DescribeImages",
    "ecr:GetDownloadUrlForLayer",
]
SQS_ACTIONS = [
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
]


@dataclass
class World:
    """Resource names and ARNs, and a client factory per identity."""

    endpoint: str
    account: str = ""
    keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    arn: dict[str, str] = field(default_factory=dict)
    queue_url: dict[str, str] = field(default_factory=dict)
    ciphertext: dict[str, bytes] = field(default_factory=dict)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def client(self, service: str, identity: str = "admin") -> Any:
        """A client signing as one of the world's identities (unknown names get unknown keys)."""
        client = self._clients.get((service, identity))
        if client is None:
            access_key, secret = self.keys.get(identity, ("AKIAUNKNOWN000000000", "unknown"))
            client = _SESSION.client(
                service,
                endpoint_url=self.endpoint,
                region_name=REGION,
                aws_access_key_id=access_key,
                aws_secret_access_key=secret,
                aws_session_token=self.tokens.get(identity),
                config=_CONFIG,
            )
            self._clients[(service, identity)] = client
        return client

    def assume(self, role: str, identity: str, as_identity: str) -> dict[str, Any]:
        """Assume ``role`` as ``identity``; its session keys become identity ``as_identity``."""
        creds = self.client("sts", identity).assume_role(
            RoleArn=self.arn[f"role/{role}"], RoleSessionName=as_identity
        )["Credentials"]
        self.keys[as_identity] = (creds["AccessKeyId"], creds["SecretAccessKey"])
        self.tokens[as_identity] = creds["SessionToken"]
        for key in [key for key in self._clients if key[1] == as_identity]:
            del self._clients[key]
        return creds


def outcome(call: Callable[[], Any]) -> str:
    """``allowed``, ``denied <iam action>`` (HTTP 403 AccessDenied), or ``error <what>``."""
    try:
        call()
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        text = str(exc)
        if status == 403 and "AccessDenied" in text:
            match = re.search(r"not authorized to perform: ([\w:]+)", text)
            return f"denied {match.group(1) if match else '?'}"
        code = exc.response.get("Error", {}).get("Code", "?")
        embedded = re.search(r"<Code>(\w+)</Code>", text)  # moto may wrap its XML in the message
        return f"error {status} {embedded[1] if code.isdigit() and embedded else code}"
    except (BotoCoreError, ResponseParserError) as exc:  # e.g. an HTML 500 page from moto
        return f"error {type(exc).__name__}"
    return "allowed"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(actions: list[str] | str, resources: list[str] | str, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def _trust(principal: dict[str, Any]) -> str:
    return _doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


def _push_image(ecr: Any, repository: str) -> list[str]:
    """Upload one layer and put an image tagged ``v1``; return the layer digests."""
    blob = f"layer of {repository}".encode()
    upload = ecr.initiate_layer_upload(repositoryName=repository)["uploadId"]
    ecr.upload_layer_part(
        repositoryName=repository,
        uploadId=upload,
        partFirstByte=0,
        partLastByte=len(blob) - 1,
        layerPartBlob=blob,
    )
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    ecr.complete_layer_upload(repositoryName=repository, uploadId=upload, layerDigests=[digest])
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": len(blob),
            "digest": digest,
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": len(blob),
                "digest": digest,
            }
        ],
    }
    ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag="v1")
    return [digest]


def build(endpoint: str) -> World:
    """Create the resources and users (IAM enforcement must be off)."""
    world = World(endpoint)
    world.keys["bootstrap"] = ("AKIABOOTSTRAP0000000", "bootstrap")
    iam = world.client("iam", "bootstrap")
    world.account = world.client("sts", "bootstrap").get_caller_identity()["Account"]

    def user(name: str, policy: str, tags: list[dict[str, str]] | None = None) -> None:
        arn = iam.create_user(UserName=name, Tags=tags or [])["User"]["Arn"]
        iam.put_user_policy(UserName=name, PolicyName="policy", PolicyDocument=policy)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        world.keys[name] = (key["AccessKeyId"], key["SecretAccessKey"])
        world.arn[f"user/{name}"] = arn

    user("admin", _doc(_allow("*", "*")))
    kms = world.client("kms")
    for key in ("app", "other"):
        meta = kms.create_key(Description=f"{key} key")["KeyMetadata"]
        world.arn[f"key/{key}"] = meta["Arn"]
        kms.create_alias(AliasName=f"alias/{key}", TargetKeyId=meta["KeyId"])
    ssm = world.client("ssm")
    ssm.put_parameter(
        Name="/app/prod/secret", Value="app-secret", Type="SecureString", KeyId=world.arn["key/app"]
    )
    ssm.put_parameter(Name="/app/prod/plain", Value="app-plain", Type="String")
    ssm.put_parameter(Name="/app/prod/aws-managed", Value="managed", Type="SecureString")
    ssm.put_parameter(
        Name="/app/prod/other-key", Value="other-key", Type="SecureString", KeyId="alias/other"
    )
    ssm.put_parameter(
        Name="/other/secret",
        Value="other-secret",
        Type="SecureString",
        KeyId=world.arn["key/other"],
    )
    logs = world.client("logs")
    for group in ("/app/logs", "/other/logs"):
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="existing")
    ecr = world.client("ecr")
    for repository in ("app", "other"):
        world.arn[f"repository/{repository}"] = ecr.create_repository(repositoryName=repository)[
            "repository"
        ]["repositoryArn"]
        world.arn[f"layers/{repository}"] = _push_image(ecr, repository)[0]
    secrets = world.client("secretsmanager")
    for name in ("app/token", "other/token"):
        world.arn[f"secret/{name}"] = secrets.create_secret(
            Name=name, SecretString=f"{name} value"
        )["ARN"]
    sqs = world.client("sqs")
    for queue in ("app-queue", "other-queue"):
        world.queue_url[queue] = sqs.create_queue(QueueName=queue)["QueueUrl"]
        world.arn[f"queue/{queue}"] = f"arn:aws:sqs:{REGION}:{world.account}:{queue}"
    for key in ("app", "other"):
        world.ciphertext[key] = kms.encrypt(KeyId=f"alias/{key}", Plaintext=key.encode())[
            "CiphertextBlob"
        ]

    prefix = f"arn:aws:%s:{REGION}:{world.account}:"
    app_parameters = (prefix % "ssm") + "parameter/app/prod/*"
    scoped = [
        _allow(SSM_ACTIONS, app_parameters),
        _allow("kms:Decrypt", world.arn["key/app"]),
        _allow(LOGS_ACTIONS, (prefix % "logs") + "log-group:/app/logs:*"),
        _allow(ECR_PULL_ACTIONS, world.arn["repository/app"]),
        _allow("ecr:GetAuthorizationToken", "*"),
        _allow("secretsmanager:GetSecretValue", (prefix % "secretsmanager") + "secret:app/token-*"),
        _allow(SQS_ACTIONS, world.arn["queue/app-queue"]),
        _allow("sts:AssumeRole", "*"),
    ]
    user("scoped", _doc(*scoped))
    every_action = [action for statement in scoped for action in _as_list(statement["Action"])]
    user("star", _doc(_allow(every_action, "*")))
    user("no-kms", _doc(_allow(SSM_ACTIONS, "*")))
    # CloudWatch Logs needs the log-group ARN with ":*" for every action the runtime makes.
    user("group-arn-only", _doc(_allow(LOGS_ACTIONS, (prefix % "logs") + "log-group:/app/logs")))
    user(
        "repo-scoped-token", _doc(_allow("ecr:GetAuthorizationToken", world.arn["repository/app"]))
    )
    user(
        "stand-in",
        _doc(_allow("sts:AssumeRole", "*")),
        tags=[{"Key": SERVICE_PRINCIPAL_TAG, "Value": ECS_TASKS}],
    )
    user(
        "conditional",
        _doc(
            _allow(
                "sqs:SendMessage",
                "*",
                Condition={"StringEquals": {"aws:SourceAccount": "000000000000"}},
            )
        ),
    )
    for role, principal in (
        ("service-role", {"Service": ECS_TASKS}),
        ("ec2-role", {"Service": "ec2.amazonaws.com"}),
        ("user-role", {"AWS": world.arn["user/scoped"]}),
    ):
        world.arn[f"role/{role}"] = iam.create_role(
            RoleName=role, AssumeRolePolicyDocument=_trust(principal)
        )["Role"]["Arn"]
        iam.put_role_policy(
            RoleName=role,
            PolicyName="send",
            PolicyDocument=_doc(_allow("sqs:SendMessage", world.arn["queue/app-queue"])),
        )
    return world


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def enforce(endpoint: str) -> None:
    """Switch moto's IAM enforcement on (the server's documented reset-auth call)."""
    request = urllib.request.Request(  # noqa: S310 - loopback test server
        f"{endpoint}/moto-api/reset-auth",
        data=b"0",
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert json.loads(response.read())["status"] == "ok"
