"""Bridges between moto's IAM enforcement and AWS's, so the shipped policies are enforced as written.

moto (pinned: :data:`VERIFIED_MOTO_VERSION`) enforces IAM policies, with gaps. Each gap that would
make a correct least-privilege policy fail, or a missing permission go unnoticed, has one small,
named bridge here. The bridges patch moto internals, so :func:`install` refuses any other moto
version; every bridge has a test that the bridged behaviour is right and a canary that fails when
moto changes under it.

Gaps that are documented and deliberately not bridged (docs/local-runtime.md, "Limits of the local emulation"):

- ``Condition`` blocks are ignored (except ``sts:ExternalId``): the confused-deputy conditions of
  the trust policy and ``kms:ViaService`` are not evaluated;
- credential expiry is not enforced: expired assumed-role keys keep working;
- ``sqs:GetQueueUrl`` is checked against ``*``: the service gets its queue URLs from the
  environment and never calls it.

The patches are process-wide (moto's backends and its enforcement switch are too): install the
bridges in the process that serves moto, before it serves (``EmbeddedMoto.start`` does).

This module is the one place that reads moto internals (private methods, private modules, class
state); ``tests/ecslocal/test_motocompat.py`` has a canary for each.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import moto
from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import ServiceException
from moto.core.responses import BaseResponse
from moto.ecr.responses import ECRResponse
from moto.iam.access_control import IAMPolicyStatement, IAMRequest
from moto.iam.exceptions import NoSuchEntity
from moto.iam.models import iam_backends
from moto.kms.models import kms_backends
from moto.kms.responses import KmsResponse
from moto.kms.utils import _deserialize_ciphertext_blob
from moto.logs.responses import LogsResponse
from moto.moto_api._internal import moto_api_backend
from moto.secretsmanager.models import secretsmanager_backends
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.sqs.responses import SQSResponse
from moto.ssm.models import ssm_backends
from moto.ssm.responses import SimpleSystemManagerResponse

# The moto release these bridges were written and verified against (requirements/dev.txt pins it).
VERIFIED_MOTO_VERSION = "5.2.5"

# An IAM user tagged with this key stands for the service principal named in the value: moto has no
# service principals, so the local agent's user carries the tag ``ecs-tasks.amazonaws.com``.
SERVICE_PRINCIPAL_TAG = "ecslocal:service-principal"

# One authorisation check: (IAM action, resource ARN).
AuthorizationCheck = tuple[str, str]
# Turns the checks moto would make for a request into the checks AWS makes.
Rewrite = Callable[[BaseResponse, list[AuthorizationCheck]], list[AuthorizationCheck]]


class MotoVersionError(RuntimeError):
    """The installed moto is not the version the bridges were verified against."""


# -- the authorisation pipeline ---------------------------------------------------------------------
# moto authorises every request once, as (service:Action, resource), where resource is "*" unless the
# response class computes one. Bridged response classes authorise through _BridgedIAMRequest instead,
# which lets each installed bridge rewrite that list of checks, then checks every entry with moto's
# own policy evaluation. Rewrites run only when enforcement is on (moto builds the request object
# only then).

_rewrites: dict[type[BaseResponse], list[Rewrite]] = {}
_AUTHORIZE = "_authenticate_and_authorize_normal_action"


class _BridgedIAMRequest(IAMRequest):
    """moto's IAM request, checking the list of checks the installed bridges compute."""

    def __init__(self, *, response: BaseResponse, **kwargs: Any) -> None:
        self._response = response
        super().__init__(**kwargs)

    def check_action_permitted(self, resource: str) -> None:
        checks: list[AuthorizationCheck] = [(self._action, resource)]
        for rewrite in _rewrites.get(type(self._response), ()):
            checks = rewrite(self._response, checks)
        for action, arn in checks:
            self._action = action  # the denial names the action that failed
            super().check_action_permitted(arn)


def _authorize_through_bridges(self: BaseResponse, resource: str = "*") -> None:
    request_cls = functools.partial(_BridgedIAMRequest, response=self)
    self._authenticate_and_authorize_action(request_cls, resource)  # type: ignore[arg-type]


# -- bridges ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorizationBridge:
    """Rewrites the authorisation checks of one moto response class."""

    name: str
    gap: str
    response_class: type[BaseResponse]
    rewrite: Rewrite

    def install(self) -> None:
        rewrites = _rewrites.setdefault(self.response_class, [])
        if not rewrites:
            _patch(self.response_class, _AUTHORIZE, _authorize_through_bridges)
        rewrites.append(self.rewrite)

    def uninstall(self) -> None:
        rewrites = _rewrites.get(self.response_class, [])
        if self.rewrite in rewrites:
            rewrites.remove(self.rewrite)
        if not rewrites:
            _rewrites.pop(self.response_class, None)
            _restore(self.response_class, _AUTHORIZE)


@dataclass(frozen=True)
class MethodBridge:
    """Replaces one method of a moto class; ``make`` builds the replacement from the original."""

    name: str
    gap: str
    owner: type
    attribute: str
    make: Callable[[Callable[..., Any]], Callable[..., Any]]

    def install(self) -> None:
        _patch(self.owner, self.attribute, self.make(getattr(self.owner, self.attribute)))

    def uninstall(self) -> None:
        _restore(self.owner, self.attribute)


_ABSENT = object()
_originals: dict[tuple[type, str], Any] = {}


def _patch(owner: type, attribute: str, replacement: Any) -> None:
    _originals[(owner, attribute)] = vars(owner).get(attribute, _ABSENT)
    setattr(owner, attribute, replacement)


def _restore(owner: type, attribute: str) -> None:
    original = _originals.pop((owner, attribute), _ABSENT)
    if original is _ABSENT:
        if attribute in vars(owner):
            delattr(owner, attribute)
    else:
        setattr(owner, attribute, original)


# -- helpers ------------------------------------------------------------------------------------


def _arn(response: BaseResponse, service: str, resource: str) -> str:
    """An ARN in the request's partition, region and account."""
    return f"arn:{response.partition}:{service}:{response.region}:{response.current_account}:{resource}"


def _scope_resources(resolve: Callable[[BaseResponse, str], list[str] | None]) -> Rewrite:
    """A rewrite that replaces moto's ``*`` with the resource ARNs ``resolve`` computes.

    ``resolve`` gets the operation name and returns the ARNs AWS authorises it against, or None
    when the operation is not one it knows (moto's check is then kept as it is). Several ARNs mean
    the caller needs the action on each (GetParameters on several names).
    """

    def rewrite(
        response: BaseResponse, checks: list[AuthorizationCheck]
    ) -> list[AuthorizationCheck]:
        operation = response._get_action()
        scoped: list[AuthorizationCheck] = []
        for action, resource in checks:
            ours = resource == "*" and action.endswith(f":{operation}")
            arns = resolve(response, operation) if ours else None
            if arns:
                scoped.extend((action, arn) for arn in dict.fromkeys(arns))
            else:
                scoped.append((action, resource))
        return scoped

    return rewrite


def _param(response: BaseResponse, name: str) -> Any:
    """A request parameter, or None when the request cannot be parsed (moto reports that itself)."""
    try:
        return response._get_param(name)
    except (KeyError, TypeError, ValueError):
        return None


def _strings(value: Any) -> list[str]:
    """A request parameter that should be a string or a list of strings, as a list of strings."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


# -- SSM ----------------------------------------------------------------------------------------
_SSM_NAME_OPERATIONS = {"GetParameter": "Name", "GetParameters": "Names"}


def _ssm_parameter_arn(response: BaseResponse, name: str) -> str:
    """The ARN IAM checks for a parameter name or ARN (a ``:version``/``:label`` selector dropped)."""
    if name.startswith("arn:"):
        prefix, _, resource = name.rpartition(":parameter/")
        return f"{prefix}:parameter/{resource.split(':', 1)[0]}" if prefix else name
    name = name.split(":", 1)[0]
    return _arn(response, "ssm", f"parameter/{name.lstrip('/')}")


def _ssm_resources(response: BaseResponse, operation: str) -> list[str] | None:
    if operation in _SSM_NAME_OPERATIONS:
        names = _strings(_param(response, _SSM_NAME_OPERATIONS[operation]))
        return [_ssm_parameter_arn(response, name) for name in names]
    if operation == "GetParametersByPath":
        # The path as given (``/courier/dev/`` -> ``parameter/courier/dev/``).
        return [
            _arn(response, "ssm", f"parameter/{path.lstrip('/')}")
            for path in _strings(_param(response, "Path"))
        ]
    return None


def _ssm_decrypt_checks(
    response: BaseResponse, checks: list[AuthorizationCheck]
) -> list[AuthorizationCheck]:
    """Add ``kms:Decrypt`` on the customer-managed key of each SecureString read with decryption.

    AWS decrypts on the caller's behalf, so the caller needs ``kms:Decrypt`` on the parameter's key
    (the AWS-managed ``alias/aws/ssm`` key needs no identity policy and is not checked).
    """
    operation = response._get_action()
    if operation not in _SSM_NAME_OPERATIONS or _param(response, "WithDecryption") is not True:
        return checks
    backend = ssm_backends[response.current_account][response.region]
    key_arns: list[str] = []
    for name in _strings(_param(response, _SSM_NAME_OPERATIONS[operation])):
        try:
            parameter = backend.get_parameter(name)
        except ServiceException:  # a bad version selector: moto reports it after authorisation
            continue
        if parameter is None or parameter.parameter_type != "SecureString":
            continue
        key_arn = _customer_key_arn(response.current_account, response.region, parameter.keyid)
        if key_arn:
            key_arns.append(key_arn)
    return checks + [("kms:Decrypt", arn) for arn in dict.fromkeys(key_arns)]


# -- KMS ----------------------------------------------------------------------------------------
_AWS_MANAGED_ALIAS = "alias/aws/"


def _kms_key(account: str, region: str, key_ref: str | None) -> Any:
    """moto's key for a key id, key ARN, alias name or alias ARN; None when there is none."""
    if not isinstance(key_ref, str) or not key_ref:
        return None
    backend = kms_backends[account][region]
    try:
        return backend.keys.get(backend.any_id_to_key_id(key_ref))
    except (AttributeError, KeyError, TypeError):  # unknown alias: moto resolves it to None
        return None


def _customer_key_arn(account: str, region: str, key_ref: str | None) -> str | None:
    """The ARN of a customer-managed key; None for AWS-managed (``alias/aws/...``) or unknown keys.

    moto creates the AWS-managed keys on first lookup and marks them CUSTOMER, so they are told
    apart by their reserved alias, before any lookup.
    """
    if not key_ref or key_ref.startswith(_AWS_MANAGED_ALIAS) or f":{_AWS_MANAGED_ALIAS}" in key_ref:
        return None
    key = _kms_key(account, region, key_ref)
    if key is None or any(alias.startswith(_AWS_MANAGED_ALIAS) for alias in key.aliases):
        return None
    return key.arn


def _kms_resources(response: BaseResponse, operation: str) -> list[str] | None:
    if operation != "Decrypt":
        return None
    key_ref = _param(response, "KeyId")
    if not isinstance(key_ref, str) or not key_ref:
        # Symmetric ciphertext names its key: moto's blob starts with the key id. (moto's KMS
        # parameters arrive base64-decoded already.)
        blob = _param(response, "CiphertextBlob")
        try:
            if isinstance(blob, str):
                blob = base64.b64decode(blob, validate=True)
            key_ref = _deserialize_ciphertext_blob(blob).key_id if isinstance(blob, bytes) else None
        except (binascii.Error, struct.error, UnicodeDecodeError, ValueError):
            return None
    key = _kms_key(response.current_account, response.region, key_ref)
    return [key.arn] if key is not None else None


# -- CloudWatch Logs ----------------------------------------------------------------------------
# AWS evaluates log-group actions against ``log-group:NAME:log-stream:`` and log-stream actions
# against ``log-group:NAME:log-stream:STREAM``; that is why policies name ``log-group:NAME:*``.
_LOGS_GROUP_OPERATIONS = {"CreateLogGroup", "DescribeLogStreams"}
_LOGS_STREAM_OPERATIONS = {"CreateLogStream", "PutLogEvents", "GetLogEvents"}


def _logs_group_name(response: BaseResponse) -> str | None:
    name = _param(response, "logGroupName")
    identifier = _param(response, "logGroupIdentifier")
    if not name and isinstance(identifier, str):
        name = identifier.split(":log-group:", 1)[-1].removesuffix(":*")
    return name if isinstance(name, str) and name else None


def _logs_resources(response: BaseResponse, operation: str) -> list[str] | None:
    if operation not in _LOGS_GROUP_OPERATIONS | _LOGS_STREAM_OPERATIONS:
        return None
    group = _logs_group_name(response)
    if group is None:
        return None
    stream = ""
    if operation in _LOGS_STREAM_OPERATIONS:
        stream = _param(response, "logStreamName")
        if not isinstance(stream, str):
            return None
    return [_arn(response, "logs", f"log-group:{group}:log-stream:{stream}")]


# -- ECR ----------------------------------------------------------------------------------------
# GetAuthorizationToken is authorised against "*" in AWS too: moto's check is already right.
_ECR_REPOSITORY_OPERATIONS = {
    "BatchCheckLayerAvailability",
    "BatchGetImage",
    "DescribeImages",
    "GetDownloadUrlForLayer",
}


def _ecr_resources(response: BaseResponse, operation: str) -> list[str] | None:
    if operation not in _ECR_REPOSITORY_OPERATIONS:
        return None
    repository = _param(response, "repositoryName")
    registry = _param(response, "registryId") or response.current_account
    if not isinstance(repository, str) or not isinstance(registry, str):
        return None
    return [f"arn:{response.partition}:ecr:{response.region}:{registry}:repository/{repository}"]


# -- Secrets Manager ----------------------------------------------------------------------------
def _secretsmanager_resources(response: BaseResponse, operation: str) -> list[str] | None:
    if operation != "GetSecretValue":
        return None
    secret_id = _param(response, "SecretId")
    if not isinstance(secret_id, str) or not secret_id:
        return None
    secret = secretsmanager_backends[response.current_account][response.region].secrets.get(
        secret_id
    )
    if secret is not None:
        return [secret.arn]  # the full ARN, with the random suffix policies match with "-*"
    return [
        secret_id
        if secret_id.startswith("arn:")
        else _arn(response, "secretsmanager", f"secret:{secret_id}")
    ]


# -- SQS ----------------------------------------------------------------------------------------
# There are no *Batch IAM actions: AWS authorises each batch call as its single-message action.
_SQS_BATCH_ACTIONS = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}


def _sqs_singular_actions(
    response: BaseResponse, checks: list[AuthorizationCheck]
) -> list[AuthorizationCheck]:
    return [(_SQS_BATCH_ACTIONS.get(action, action), resource) for action, resource in checks]


# -- the ecs-tasks.amazonaws.com service principal -----------------------------------------------
_USER_ARN_RE = re.compile(
    r"^arn:(?P<partition>[\w-]+):iam::(?P<account>\d{12}):user/(?:.*/)?(?P<name>[^/]+)$"
)


def service_principals_of(principal_arn: str) -> frozenset[str]:
    """The service principals an IAM user stands for (its :data:`SERVICE_PRINCIPAL_TAG` tags)."""
    match = _USER_ARN_RE.match(principal_arn)
    if not match:
        return frozenset()
    backend = iam_backends[match["account"]][match["partition"]]
    try:
        tags = backend.list_user_tags(match["name"])
    except NoSuchEntity:
        return frozenset()
    return frozenset(tag["Value"] for tag in tags if tag["Key"] == SERVICE_PRINCIPAL_TAG)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _with_service_principals(original: Callable[..., bool]) -> Callable[..., bool]:
    """``IAMPolicyStatement._check_principal`` that also matches ``Principal.Service``.

    moto reads only ``Principal.AWS`` and crashes (TypeError, HTTP 500) when a trust statement has
    none. Here ``AWS`` principals keep moto's rule; a ``Service`` principal matches a caller that
    stands for that service (:func:`service_principals_of`); anything else does not match.
    """

    def check_principal(self: IAMPolicyStatement, principal: str) -> bool:
        expected = self._statement.get("Principal")
        if not expected or expected == "*":
            return True
        if not isinstance(expected, dict):
            return False
        if "AWS" in expected and original(self, principal):
            return True
        services = _as_list(expected.get("Service", []))
        return not service_principals_of(principal).isdisjoint(services)

    return check_principal


# -- the bridges, in install order ----------------------------------------------------------------
BRIDGES: tuple[AuthorizationBridge | MethodBridge, ...] = (
    AuthorizationBridge(
        name="ssm-resource-arns",
        gap="moto checks ssm:GetParameter(s)/GetParametersByPath against '*', not the parameter ARN",
        response_class=SimpleSystemManagerResponse,
        rewrite=_scope_resources(_ssm_resources),
    ),
    AuthorizationBridge(
        name="ssm-decrypt-needs-kms",
        gap="moto returns decrypted SecureString values without checking kms:Decrypt on the key",
        response_class=SimpleSystemManagerResponse,
        rewrite=_ssm_decrypt_checks,
    ),
    AuthorizationBridge(
        name="logs-resource-arns",
        gap="moto checks CloudWatch Logs actions against '*', not the log group/stream ARN",
        response_class=LogsResponse,
        rewrite=_scope_resources(_logs_resources),
    ),
    AuthorizationBridge(
        name="kms-resource-arns",
        gap="moto checks kms:Decrypt against '*', not the key ARN",
        response_class=KmsResponse,
        rewrite=_scope_resources(_kms_resources),
    ),
    AuthorizationBridge(
        name="ecr-resource-arns",
        gap="moto checks ECR pull actions against '*', not the repository ARN",
        response_class=ECRResponse,
        rewrite=_scope_resources(_ecr_resources),
    ),
    AuthorizationBridge(
        name="secretsmanager-resource-arns",
        gap="moto checks secretsmanager:GetSecretValue against '*', not the secret ARN",
        response_class=SecretsManagerResponse,
        rewrite=_scope_resources(_secretsmanager_resources),
    ),
    AuthorizationBridge(
        name="sqs-batch-actions",
        gap="moto checks SQS batch calls against sqs:*Batch actions, which IAM does not have",
        response_class=SQSResponse,
        rewrite=_sqs_singular_actions,
    ),
    MethodBridge(
        name="ecs-tasks-service-principal",
        gap="moto crashes (HTTP 500) on AssumeRole when the trust principal is only a Service",
        owner=IAMPolicyStatement,
        attribute="_check_principal",
        make=_with_service_principals,
    ),
)

_lock = threading.Lock()
_installed: list[AuthorizationBridge | MethodBridge] = []


# -- the enforcement switch and the reset ---------------------------------------------------------
# moto enforces IAM once more requests were made than INITIAL_NO_AUTH_ACTION_COUNT, counting on a
# class attribute; it has no public call to save and restore that switch, nor to reset every
# backend in-process (its HTTP reset endpoint calls this backend).

EnforcementSwitch = tuple[float, int]  # (requests allowed without auth, requests counted so far)


def enforcement_switch() -> EnforcementSwitch:
    """The process's IAM enforcement switch, to restore later with :func:`set_enforcement_switch`."""
    return settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count


def set_enforcement_switch(switch: EnforcementSwitch) -> None:
    """Set the switch; ``(float("inf"), 0)`` turns enforcement off until it is enabled again."""
    settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = switch


def reset_backends() -> None:
    """Forget every resource of every moto backend in this process (a fresh account)."""
    moto_api_backend.reset()


def check_moto_version(version: str | None = None) -> None:
    """Raise :class:`MotoVersionError` unless moto is the version the bridges were verified on."""
    version = version or moto.__version__
    if version != VERIFIED_MOTO_VERSION:
        raise MotoVersionError(
            f"moto {version} is installed, but the IAM compatibility bridges in {__name__} patch "
            f"moto internals and were verified against moto {VERIFIED_MOTO_VERSION} only: install "
            f"the pinned requirements (make install), or re-verify every bridge and its canary test "
            f"on moto {version} before changing VERIFIED_MOTO_VERSION"
        )


def install() -> None:
    """Install every bridge into this process's moto (idempotent).

    Raises :class:`MotoVersionError` (and patches nothing) on any moto but the verified version.
    """
    with _lock:
        if _installed:
            return
        check_moto_version()
        for bridge in BRIDGES:
            bridge.install()
            _installed.append(bridge)


def uninstall() -> None:
    """Restore moto exactly as it was before :func:`install` (idempotent)."""
    with _lock:
        while _installed:
            _installed.pop().uninstall()


def installed() -> tuple[str, ...]:
    """The names of the bridges installed in this process, in install order."""
    with _lock:
        return tuple(bridge.name for bridge in _installed)


def bridge_names() -> tuple[str, ...]:
    """The names of every bridge this module has."""
    return tuple(bridge.name for bridge in BRIDGES)
