"""Probe pristine moto for the IAM gaps the local runtime bridges or documents; print JSON.

Run in its own process (``python -m tests.ecslocal.moto_gap_probe``): it serves stock moto (no
``ecslocal`` import, so no bridge), builds :mod:`tests.ecslocal.motoworld`, switches enforcement on
and records, per gap, what moto does and whether the gap is still there.
"""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Callable
from typing import Any

import moto
from moto.server import ThreadedMotoServer
from moto.sts.models import sts_backends

from tests.ecslocal.motoworld import World, build, enforce, outcome

Probe = Callable[[World], tuple[bool, dict[str, str]]]


def _scoped_denied_star_allowed(
    action: str, call: Callable[[Any, World], Any], service: str
) -> Probe:
    """The gap: a statement on the right ARN is denied while the same action on ``*`` passes."""

    def probe(world: World) -> tuple[bool, dict[str, str]]:
        seen = {
            "scoped": outcome(lambda: call(world.client(service, "scoped"), world)),
            "star": outcome(lambda: call(world.client(service, "star"), world)),
        }
        return seen == {"scoped": f"denied {action}", "star": "allowed"}, seen

    return probe


def _ssm_decrypt_needs_kms(world: World) -> tuple[bool, dict[str, str]]:
    values: list[str] = []

    def read() -> None:
        response = world.client("ssm", "no-kms").get_parameters(
            Names=["/app/prod/secret"], WithDecryption=True
        )
        values.extend(parameter["Value"] for parameter in response["Parameters"])

    seen = {"no-kms decrypting read": outcome(read)}
    seen["value decrypted"] = str(values == ["app-secret"])
    return seen == {"no-kms decrypting read": "allowed", "value decrypted": "True"}, seen


def _sqs_batch_actions(world: World) -> tuple[bool, dict[str, str]]:
    sqs = world.client("sqs", "scoped")
    url = world.queue_url["app-queue"]
    seen = {
        "SendMessage": outcome(lambda: sqs.send_message(QueueUrl=url, MessageBody="x")),
        "SendMessageBatch": outcome(
            lambda: sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "x"}])
        ),
    }
    return seen == {
        "SendMessage": "allowed",
        "SendMessageBatch": "denied sqs:SendMessageBatch",
    }, seen


def _service_principal_crash(world: World) -> tuple[bool, dict[str, str]]:
    seen = {
        "stand-in assumes service-role": outcome(
            lambda: world.client("sts", "stand-in").assume_role(
                RoleArn=world.arn["role/service-role"], RoleSessionName="probe"
            )
        )
    }
    # The TypeError in moto's principal check becomes werkzeug's HTML 500 page, which boto3
    # cannot parse.
    return seen["stand-in assumes service-role"] == "error ResponseParserError", seen


def _conditions_ignored(world: World) -> tuple[bool, dict[str, str]]:
    seen = {
        "send with unmet aws:SourceAccount": outcome(
            lambda: world.client("sqs", "conditional").send_message(
                QueueUrl=world.queue_url["app-queue"], MessageBody="x"
            )
        )
    }
    return seen["send with unmet aws:SourceAccount"] == "allowed", seen


def _credential_expiry_not_enforced(world: World) -> tuple[bool, dict[str, str]]:
    world.assume("user-role", "scoped", "expired")
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    for assumed in sts_backends[world.account]["aws"].assumed_roles:
        if assumed.session_name == "expired":
            assumed.expiration = past.replace(tzinfo=None)
    seen = {
        "send with expired session": outcome(
            lambda: world.client("sqs", "expired").send_message(
                QueueUrl=world.queue_url["app-queue"], MessageBody="x"
            )
        )
    }
    return seen["send with expired session"] == "allowed", seen


# name -> (kind, probe). "bridge" names match ecslocal.motocompat's bridges.
PROBES: dict[str, tuple[str, Probe]] = {
    "ssm-resource-arns": (
        "bridge",
        _scoped_denied_star_allowed(
            "ssm:GetParameters", lambda c, w: c.get_parameters(Names=["/app/prod/plain"]), "ssm"
        ),
    ),
    "ssm-decrypt-needs-kms": ("bridge", _ssm_decrypt_needs_kms),
    "logs-resource-arns": (
        "bridge",
        _scoped_denied_star_allowed(
            "logs:CreateLogStream",
            lambda c, w: c.create_log_stream(logGroupName="/app/logs", logStreamName=f"s-{id(c)}"),
            "logs",
        ),
    ),
    "kms-resource-arns": (
        "bridge",
        _scoped_denied_star_allowed(
            "kms:Decrypt", lambda c, w: c.decrypt(CiphertextBlob=w.ciphertext["app"]), "kms"
        ),
    ),
    "ecr-resource-arns": (
        "bridge",
        _scoped_denied_star_allowed(
            "ecr:BatchGetImage",
            lambda c, w: c.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "v1"}]),
            "ecr",
        ),
    ),
    "secretsmanager-resource-arns": (
        "bridge",
        _scoped_denied_star_allowed(
            "secretsmanager:GetSecretValue",
            lambda c, w: c.get_secret_value(SecretId="app/token"),
            "secretsmanager",
        ),
    ),
    "sqs-batch-actions": ("bridge", _sqs_batch_actions),
    "ecs-tasks-service-principal": ("bridge", _service_principal_crash),
    "conditions-ignored": ("documented", _conditions_ignored),
    "credential-expiry-not-enforced": ("documented", _credential_expiry_not_enforced),
    "get-queue-url-matched-against-star": (
        "documented",
        _scoped_denied_star_allowed(
            "sqs:GetQueueUrl", lambda c, w: c.get_queue_url(QueueName="app-queue"), "sqs"
        ),
    ),
}


def main() -> int:
    if "ecslocal.motocompat" in sys.modules:
        print("error: the probe must run on pristine moto", file=sys.stderr)
        return 2
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        world = build(f"http://{host}:{port}")
        enforce(world.endpoint)
        report: dict[str, Any] = {"moto": moto.__version__, "gaps": {}}
        for name, (kind, probe) in PROBES.items():
            present, seen = probe(world)
            report["gaps"][name] = {"kind": kind, "present": present, "seen": seen}
    finally:
        server.stop()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
