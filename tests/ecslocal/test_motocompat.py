"""The moto compatibility bridges: pinned to one moto, reversible, right when bridged, and canaries.

The bridged-behaviour tests run an EmbeddedMoto in this process (it installs the bridges, and
restores moto and its enforcement switch when it stops). The canaries (last) read what pristine
moto did in a subprocess started with the module, and fail with "moto changed: ..." the day moto
closes or changes a gap.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import moto
import moto.settings
import pytest
from moto.core.authorization import ActionAuthenticatorMixin

from ecslocal import motocompat
from ecslocal.moto_server import EmbeddedMoto
from tests.ecslocal.motoworld import World, build, enforce, outcome
from tests.support.processes import PROJECT_ROOT, clean_env, stop

DOCUMENTED_LIMITS = (
    "conditions-ignored",
    "credential-expiry-not-enforced",
    "get-queue-url-matched-against-star",
)


def _moto_classes_state() -> dict[type, dict[str, Any]]:
    """Every attribute of every moto class a bridge patches."""
    classes = {getattr(b, "response_class", None) or b.owner for b in motocompat.BRIDGES}  # type: ignore[union-attr]
    return {cls: dict(vars(cls)) for cls in classes}


@pytest.fixture
def pristine_process() -> Iterator[None]:
    """This process's moto has no bridge installed (no EmbeddedMoto is running)."""
    assert motocompat.installed() == (), "a bridge leaked from an earlier test"
    yield
    motocompat.uninstall()


@pytest.fixture(scope="module", autouse=True)
def pristine_moto_probe() -> Iterator[subprocess.Popen]:
    """Start the pristine-moto probe first: it runs on its own while the tests before it do."""
    with tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.ecslocal.moto_gap_probe"],
            cwd=PROJECT_ROOT,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            yield process
        finally:
            stop(process)
            if process.stdout is not None:
                process.stdout.close()


# -- pinned to one moto ---------------------------------------------------------------------------


def test_bridges_are_verified_against_the_pinned_and_installed_moto() -> None:
    pin = re.search(r"^moto==(\S+)", (PROJECT_ROOT / "requirements" / "dev.txt").read_text(), re.M)
    assert pin is not None, "requirements/dev.txt does not pin moto"
    assert pin[1] == motocompat.VERIFIED_MOTO_VERSION == moto.__version__


@pytest.mark.parametrize("version", ["5.2.4", "5.2.6", "5.3.0", "6.0.0", "5.2.5.dev1"])
def test_another_moto_version_is_refused_loudly(version: str) -> None:
    with pytest.raises(motocompat.MotoVersionError, match=rf"moto {re.escape(version)} .*5\.2\.5"):
        motocompat.check_moto_version(version)


def test_install_on_another_moto_version_patches_nothing(
    pristine_process: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _moto_classes_state()
    monkeypatch.setattr(moto, "__version__", "5.3.0")
    with pytest.raises(motocompat.MotoVersionError):
        motocompat.install()
    assert motocompat.installed() == ()
    assert _moto_classes_state() == before


def test_install_is_idempotent_and_uninstall_restores_moto_exactly(pristine_process: None) -> None:
    before = _moto_classes_state()
    motocompat.install()
    motocompat.install()
    assert motocompat.installed() == tuple(motocompat.bridge_names())
    assert _moto_classes_state() != before
    motocompat.uninstall()
    motocompat.uninstall()
    assert motocompat.installed() == ()
    assert _moto_classes_state() == before


# -- bridged behaviour: allowed on the right ARN, denied elsewhere (HTTP 403 AccessDenied) --------

Call = Callable[[Any, World], Any]


def _case(case_id: str, identity: str, service: str, call: Call, expected: str) -> Any:
    return pytest.param(identity, service, call, expected, id=case_id)


SSM_CASES = [
    _case(
        "GetParameters-right-name",
        "scoped",
        "ssm",
        lambda c, w: c.get_parameters(Names=["/app/prod/plain"]),
        "allowed",
    ),
    _case(
        "GetParameters-right-arn",
        "scoped",
        "ssm",
        lambda c, w: c.get_parameters(
            Names=[f"arn:aws:ssm:us-east-1:{w.account}:parameter/app/prod/plain"]
        ),
        "allowed",
    ),
    _case(
        "GetParameters-version-selector",
        "scoped",
        "ssm",
        lambda c, w: c.get_parameters(Names=["/app/prod/plain:1"]),
        "allowed",
    ),
    _case(
        "GetParameters-missing-under-path",
        "scoped",
        "ssm",
        lambda c, w: c.get_parameters(Names=["/app/prod/none"]),
        "allowed",
    ),
    _case(
        "GetParameters-other-path",
        "scoped",
        "ssm",
        lambda c, w: c.get_parameters(Names=["/other/secret"]),
        "denied ssm:GetParameters",
    ),
    _case(
        "GetParameters-one-of-two-elsewhere",
        "scoped",
        "ssm",
        lambda c, w: c.get_parameters(Names=["/app/prod/plain", "/other/secret"]),
        "denied ssm:GetParameters",
    ),
    _case(
        "GetParameters-other-account-arn",
        "scoped",
        "ssm",
        lambda c, w: c.get_parameters(
            Names=["arn:aws:ssm:us-east-1:210987654321:parameter/app/prod/plain"]
        ),
        "denied ssm:GetParameters",
    ),
    _case(
        "GetParameter-right",
        "scoped",
        "ssm",
        lambda c, w: c.get_parameter(Name="/app/prod/plain"),
        "allowed",
    ),
    _case(
        "GetParameter-other",
        "scoped",
        "ssm",
        lambda c, w: c.get_parameter(Name="/other/secret"),
        "denied ssm:GetParameter",
    ),
    _case(
        "GetParametersByPath-right",
        "scoped",
        "ssm",
        lambda c, w: c.get_parameters_by_path(Path="/app/prod/"),
        "allowed",
    ),
    _case(
        "GetParametersByPath-other",
        "scoped",
        "ssm",
        lambda c, w: c.get_parameters_by_path(Path="/other/"),
        "denied ssm:GetParametersByPath",
    ),
    _case(
        "PutParameter-not-granted",
        "scoped",
        "ssm",
        lambda c, w: c.put_parameter(Name="/app/prod/new", Value="v", Type="String"),
        "denied ssm:PutParameter",
    ),
]

SSM_DECRYPT_CASES = [
    _case(
        "decrypt-with-kms-on-the-key",
        "scoped",
        "ssm",
        lambda c, w: c.get_parameters(Names=["/app/prod/secret"], WithDecryption=True),
        "allowed",
    ),
    _case(
        "decrypt-without-kms",
        "no-kms",
        "ssm",
        lambda c, w: c.get_parameters(Names=["/app/prod/secret"], WithDecryption=True),
        "denied kms:Decrypt",
    ),
    _case(
        "decrypt-singular-without-kms",
        "no-kms",
        "ssm",
        lambda c, w: c.get_parameter(Name="/app/prod/secret", WithDecryption=True),
        "denied kms:Decrypt",
    ),
    _case(
        "decrypt-with-kms-on-another-key",
        "scoped",
        "ssm",
        lambda c, w: c.get_parameters(Names=["/app/prod/other-key"], WithDecryption=True),
        "denied kms:Decrypt",
    ),
    _case(
        "no-decryption-needs-no-kms",
        "no-kms",
        "ssm",
        lambda c, w: c.get_parameters(Names=["/app/prod/secret"]),
        "allowed",
    ),
    _case(
        "aws-managed-key-needs-no-kms",
        "no-kms",
        "ssm",
        lambda c, w: c.get_parameters(Names=["/app/prod/aws-managed"], WithDecryption=True),
        "allowed",
    ),
]

LOGS_CASES = [
    _case(
        "CreateLogStream-right",
        "scoped",
        "logs",
        lambda c, w: c.create_log_stream(logGroupName="/app/logs", logStreamName="new"),
        "allowed",
    ),
    _case(
        "CreateLogStream-other",
        "scoped",
        "logs",
        lambda c, w: c.create_log_stream(logGroupName="/other/logs", logStreamName="new"),
        "denied logs:CreateLogStream",
    ),
    _case(
        "PutLogEvents-right",
        "scoped",
        "logs",
        lambda c, w: c.put_log_events(
            logGroupName="/app/logs",
            logStreamName="existing",
            logEvents=[{"timestamp": 1, "message": "m"}],
        ),
        "allowed",
    ),
    _case(
        "PutLogEvents-other",
        "scoped",
        "logs",
        lambda c, w: c.put_log_events(
            logGroupName="/other/logs",
            logStreamName="existing",
            logEvents=[{"timestamp": 1, "message": "m"}],
        ),
        "denied logs:PutLogEvents",
    ),
    _case(
        "GetLogEvents-right",
        "scoped",
        "logs",
        lambda c, w: c.get_log_events(logGroupName="/app/logs", logStreamName="existing"),
        "allowed",
    ),
    _case(
        "GetLogEvents-right-by-identifier-arn",
        "scoped",
        "logs",
        lambda c, w: c.get_log_events(
            logGroupIdentifier=f"arn:aws:logs:us-east-1:{w.account}:log-group:/app/logs",
            logStreamName="existing",
        ),
        "allowed",
    ),
    _case(
        "GetLogEvents-other",
        "scoped",
        "logs",
        lambda c, w: c.get_log_events(logGroupName="/other/logs", logStreamName="existing"),
        "denied logs:GetLogEvents",
    ),
    _case(
        "DescribeLogStreams-right",
        "scoped",
        "logs",
        lambda c, w: c.describe_log_streams(logGroupName="/app/logs"),
        "allowed",
    ),
    _case(
        "DescribeLogStreams-other",
        "scoped",
        "logs",
        lambda c, w: c.describe_log_streams(logGroupName="/other/logs"),
        "denied logs:DescribeLogStreams",
    ),
    # Authorised, then moto reports the group exists: the check passed.
    _case(
        "CreateLogGroup-right",
        "scoped",
        "logs",
        lambda c, w: c.create_log_group(logGroupName="/app/logs"),
        "error 400 ResourceAlreadyExistsException",
    ),
    _case(
        "CreateLogGroup-other",
        "scoped",
        "logs",
        lambda c, w: c.create_log_group(logGroupName="/other/new"),
        "denied logs:CreateLogGroup",
    ),
    _case(
        "group-arn-without-star-does-not-cover-streams",
        "group-arn-only",
        "logs",
        lambda c, w: c.create_log_stream(logGroupName="/app/logs", logStreamName="new2"),
        "denied logs:CreateLogStream",
    ),
]

KMS_CASES = [
    _case(
        "Decrypt-key-from-ciphertext",
        "scoped",
        "kms",
        lambda c, w: c.decrypt(CiphertextBlob=w.ciphertext["app"]),
        "allowed",
    ),
    _case(
        "Decrypt-by-alias",
        "scoped",
        "kms",
        lambda c, w: c.decrypt(CiphertextBlob=w.ciphertext["app"], KeyId="alias/app"),
        "allowed",
    ),
    _case(
        "Decrypt-by-key-arn",
        "scoped",
        "kms",
        lambda c, w: c.decrypt(CiphertextBlob=w.ciphertext["app"], KeyId=w.arn["key/app"]),
        "allowed",
    ),
    _case(
        "Decrypt-other-key",
        "scoped",
        "kms",
        lambda c, w: c.decrypt(CiphertextBlob=w.ciphertext["other"]),
        "denied kms:Decrypt",
    ),
    _case(
        "Decrypt-garbage-keeps-star-scoped",
        "scoped",
        "kms",
        lambda c, w: c.decrypt(CiphertextBlob=b"not a ciphertext"),
        "denied kms:Decrypt",
    ),
    _case(
        "Decrypt-garbage-keeps-star-broad",
        "star",
        "kms",
        lambda c, w: c.decrypt(CiphertextBlob=b"not a ciphertext"),
        "error 400 InvalidCiphertextException",
    ),
]

ECR_CASES = [
    _case(
        "BatchGetImage-right",
        "scoped",
        "ecr",
        lambda c, w: c.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "v1"}]),
        "allowed",
    ),
    _case(
        "BatchGetImage-other",
        "scoped",
        "ecr",
        lambda c, w: c.batch_get_image(repositoryName="other", imageIds=[{"imageTag": "v1"}]),
        "denied ecr:BatchGetImage",
    ),
    _case(
        "BatchGetImage-right-registry",
        "scoped",
        "ecr",
        lambda c, w: c.batch_get_image(
            registryId=w.account, repositoryName="app", imageIds=[{"imageTag": "v1"}]
        ),
        "allowed",
    ),
    _case(
        "BatchGetImage-other-registry",
        "scoped",
        "ecr",
        lambda c, w: c.batch_get_image(
            registryId="210987654321", repositoryName="app", imageIds=[{"imageTag": "v1"}]
        ),
        "denied ecr:BatchGetImage",
    ),
    _case(
        "BatchCheckLayerAvailability-right",
        "scoped",
        "ecr",
        lambda c, w: c.batch_check_layer_availability(
            repositoryName="app", layerDigests=[w.arn["layers/app"]]
        ),
        "allowed",
    ),
    _case(
        "BatchCheckLayerAvailability-other",
        "scoped",
        "ecr",
        lambda c, w: c.batch_check_layer_availability(
            repositoryName="other", layerDigests=[w.arn["layers/other"]]
        ),
        "denied ecr:BatchCheckLayerAvailability",
    ),
    _case(
        "DescribeImages-right",
        "scoped",
        "ecr",
        lambda c, w: c.describe_images(repositoryName="app"),
        "allowed",
    ),
    _case(
        "DescribeImages-other",
        "scoped",
        "ecr",
        lambda c, w: c.describe_images(repositoryName="other"),
        "denied ecr:DescribeImages",
    ),
    _case(
        "GetDownloadUrlForLayer-other",
        "scoped",
        "ecr",
        lambda c, w: c.get_download_url_for_layer(
            repositoryName="other", layerDigest=w.arn["layers/other"]
        ),
        "denied ecr:GetDownloadUrlForLayer",
    ),
    _case(
        "GetAuthorizationToken-star",
        "scoped",
        "ecr",
        lambda c, w: c.get_authorization_token(),
        "allowed",
    ),
    _case(
        "GetAuthorizationToken-repo-scoped",
        "repo-scoped-token",
        "ecr",
        lambda c, w: c.get_authorization_token(),
        "denied ecr:GetAuthorizationToken",
    ),
]

SECRETSMANAGER_CASES = [
    _case(
        "GetSecretValue-right-name",
        "scoped",
        "secretsmanager",
        lambda c, w: c.get_secret_value(SecretId="app/token"),
        "allowed",
    ),
    _case(
        "GetSecretValue-right-arn",
        "scoped",
        "secretsmanager",
        lambda c, w: c.get_secret_value(SecretId=w.arn["secret/app/token"]),
        "allowed",
    ),
    _case(
        "GetSecretValue-other",
        "scoped",
        "secretsmanager",
        lambda c, w: c.get_secret_value(SecretId="other/token"),
        "denied secretsmanager:GetSecretValue",
    ),
    _case(
        "GetSecretValue-missing",
        "scoped",
        "secretsmanager",
        lambda c, w: c.get_secret_value(SecretId="nothing"),
        "denied secretsmanager:GetSecretValue",
    ),
]

SQS_CASES = [
    _case(
        "SendMessageBatch-right",
        "scoped",
        "sqs",
        lambda c, w: c.send_message_batch(
            QueueUrl=w.queue_url["app-queue"], Entries=[{"Id": "1", "MessageBody": "m"}]
        ),
        "allowed",
    ),
    _case(
        "SendMessageBatch-other-queue",
        "scoped",
        "sqs",
        lambda c, w: c.send_message_batch(
            QueueUrl=w.queue_url["other-queue"], Entries=[{"Id": "1", "MessageBody": "m"}]
        ),
        "denied sqs:SendMessage",
    ),
    _case(
        "DeleteMessageBatch-right",
        "scoped",
        "sqs",
        lambda c, w: c.delete_message_batch(
            QueueUrl=w.queue_url["app-queue"], Entries=[{"Id": "1", "ReceiptHandle": "r"}]
        ),
        "allowed",
    ),
    _case(
        "ChangeMessageVisibilityBatch-right",
        "scoped",
        "sqs",
        lambda c, w: c.change_message_visibility_batch(
            QueueUrl=w.queue_url["app-queue"],
            Entries=[{"Id": "1", "ReceiptHandle": "r", "VisibilityTimeout": 1}],
        ),
        "allowed",
    ),
    _case(
        "ChangeMessageVisibilityBatch-other-queue",
        "scoped",
        "sqs",
        lambda c, w: c.change_message_visibility_batch(
            QueueUrl=w.queue_url["other-queue"],
            Entries=[{"Id": "1", "ReceiptHandle": "r", "VisibilityTimeout": 1}],
        ),
        "denied sqs:ChangeMessageVisibility",
    ),
]


@pytest.fixture(scope="class")
def bridged() -> Iterator[World]:
    """The probe world on an in-process EmbeddedMoto (bridges on), IAM enforced."""
    assert motocompat.installed() == (), "a bridge leaked from an earlier test"
    with EmbeddedMoto() as server:
        world = build(server.endpoint)
        enforce(server.endpoint)
        yield world
    assert motocompat.installed() == (), "EmbeddedMoto.stop() left the bridges installed"


@pytest.mark.integration
class TestBridgedEnforcement:
    """The bridges installed: a statement scoped to the right ARN matches, one scoped elsewhere not."""

    @pytest.mark.parametrize(
        ("identity", "service", "call", "expected"),
        SSM_CASES
        + SSM_DECRYPT_CASES
        + LOGS_CASES
        + KMS_CASES
        + ECR_CASES
        + SECRETSMANAGER_CASES
        + SQS_CASES,
    )
    def test_resource_scoped_statements_match_only_their_resources(
        self, bridged: World, identity: str, service: str, call: Call, expected: str
    ) -> None:
        assert outcome(lambda: call(bridged.client(service, identity), bridged)) == expected

    def test_decrypted_secure_string_value_reaches_a_caller_with_both_permissions(
        self, bridged: World
    ) -> None:
        response = bridged.client("ssm", "scoped").get_parameters(
            Names=["/app/prod/secret"], WithDecryption=True
        )
        assert [p["Value"] for p in response["Parameters"]] == ["app-secret"]

    def test_get_download_url_for_layer_passes_authorisation_then_moto_lacks_it(
        self, bridged: World
    ) -> None:
        seen = outcome(
            lambda: bridged.client("ecr", "scoped").get_download_url_for_layer(
                repositoryName="app", layerDigest=bridged.arn["layers/app"]
            )
        )
        assert seen.startswith("error") and "denied" not in seen

    def test_batch_denial_names_the_single_message_action_the_policy_lacks(
        self, bridged: World
    ) -> None:
        # user-role may only send: deleting in a batch is denied as sqs:DeleteMessage.
        bridged.assume("user-role", "scoped", "sender")
        sqs = bridged.client("sqs", "sender")
        url = bridged.queue_url["app-queue"]
        assert (
            outcome(
                lambda: sqs.send_message_batch(
                    QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "m"}]
                )
            )
            == "allowed"
        )
        assert (
            outcome(
                lambda: sqs.delete_message_batch(
                    QueueUrl=url, Entries=[{"Id": "1", "ReceiptHandle": "r"}]
                )
            )
            == "denied sqs:DeleteMessage"
        )

    @pytest.mark.parametrize(
        ("identity", "role", "expected"),
        [
            pytest.param("stand-in", "service-role", "allowed", id="stand-in-for-ecs-tasks"),
            pytest.param(
                "star", "service-role", "denied sts:AssumeRole", id="untagged-user-with-assume-role"
            ),
            pytest.param("admin", "service-role", "denied sts:AssumeRole", id="admin"),
            pytest.param(
                "stand-in", "ec2-role", "denied sts:AssumeRole", id="stand-in-for-another-service"
            ),
            pytest.param("scoped", "user-role", "allowed", id="aws-principal-unchanged"),
            pytest.param(
                "stand-in",
                "user-role",
                "denied sts:AssumeRole",
                id="stand-in-not-the-aws-principal",
            ),
        ],
    )
    def test_service_principal_trust_admits_only_its_stand_in(
        self, bridged: World, identity: str, role: str, expected: str
    ) -> None:
        sts = bridged.client("sts", identity)
        arn = bridged.arn[f"role/{role}"]
        assert outcome(lambda: sts.assume_role(RoleArn=arn, RoleSessionName="task-1")) == expected

    def test_stand_in_holds_the_role_session_it_assumed(self, bridged: World) -> None:
        bridged.assume("service-role", "stand-in", "task-0123")
        caller = bridged.client("sts", "task-0123").get_caller_identity()["Arn"]
        assert caller == f"arn:aws:sts::{bridged.account}:assumed-role/service-role/task-0123"


# -- canaries: pristine moto still has each gap --------------------------------------------------


@pytest.fixture(scope="module")
def pristine_moto_gaps(pristine_moto_probe: subprocess.Popen) -> dict[str, Any]:
    """What pristine moto does for each gap (tests/ecslocal/moto_gap_probe.py, own process)."""
    stdout, _ = pristine_moto_probe.communicate(timeout=120)
    if pristine_moto_probe.returncode != 0:
        assert pristine_moto_probe.stderr is not None
        pristine_moto_probe.stderr.seek(0)
        pytest.fail(f"the gap probe failed:\n{pristine_moto_probe.stderr.read()[-3000:]}")
    return json.loads(stdout.strip().splitlines()[-1])


@pytest.mark.integration
@pytest.mark.parametrize("bridge", motocompat.bridge_names())
def test_canary_pristine_moto_still_has_the_gap_each_bridge_closes(
    pristine_moto_gaps: dict[str, Any], bridge: str
) -> None:
    gap = pristine_moto_gaps["gaps"].get(bridge)
    assert gap is not None and gap["kind"] == "bridge", f"bridge {bridge} has no canary probe"
    assert gap["present"], (
        f"moto changed: remove/revise bridge {bridge} "
        f"(moto {pristine_moto_gaps['moto']} without bridges now does {gap['seen']})"
    )


@pytest.mark.integration
@pytest.mark.parametrize("limit", DOCUMENTED_LIMITS)
def test_canary_pristine_moto_still_has_each_documented_limit(
    pristine_moto_gaps: dict[str, Any], limit: str
) -> None:
    gap = pristine_moto_gaps["gaps"][limit]
    assert gap["present"], (
        f"moto changed: revise the documented limit {limit} in docs/local-runtime.md, 'Limits of the local emulation' "
        f"(moto {pristine_moto_gaps['moto']} now does {gap['seen']})"
    )


@pytest.mark.integration
def test_canary_probes_cover_exactly_the_bridges_and_documented_limits(
    pristine_moto_gaps: dict[str, Any],
) -> None:
    kinds = {name: gap["kind"] for name, gap in pristine_moto_gaps["gaps"].items()}
    assert {n for n, k in kinds.items() if k == "bridge"} == set(motocompat.bridge_names())
    assert {n for n, k in kinds.items() if k == "documented"} == set(DOCUMENTED_LIMITS)


# -- the moto internals motocompat reads ----------------------------------------------------------


@pytest.mark.parametrize(
    ("owner", "attribute"),
    [
        ("moto.core.responses.BaseResponse", "_get_action"),
        ("moto.core.responses.BaseResponse", "_get_param"),
        ("moto.core.responses.BaseResponse", "_authenticate_and_authorize_normal_action"),
        ("moto.iam.access_control.IAMPolicyStatement", "_check_principal"),
        ("moto.moto_api._internal.moto_api_backend", "reset"),
    ],
)
def test_canary_the_private_moto_methods_the_bridges_use_exist(owner: str, attribute: str) -> None:
    module_name, _, name = owner.rpartition(".")
    target = getattr(importlib.import_module(module_name), name)
    assert callable(getattr(target, attribute, None)), f"moto no longer has {owner}.{attribute}"


def test_canary_the_enforcement_switch_round_trips(pristine_process: None) -> None:
    saved = motocompat.enforcement_switch()
    assert isinstance(saved[1], int)
    try:
        motocompat.set_enforcement_switch((float("inf"), 7))
        assert ActionAuthenticatorMixin.request_count == 7
        assert float("inf") == moto.settings.INITIAL_NO_AUTH_ACTION_COUNT
    finally:
        motocompat.set_enforcement_switch(saved)
    assert motocompat.enforcement_switch() == saved
