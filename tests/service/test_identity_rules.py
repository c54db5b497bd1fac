"""Each warning rule, on snapshots built by hand: when it fires, when it stays silent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from artifacts.context import DeploymentContext
from service.config import Settings
from service.identity import rules as rules_module
from service.identity.credentials import CredentialFacts
from service.identity.ecs import EcsTask
from service.identity.environment import EnvironmentFacts
from service.identity.model import CallerIdentity, Expectations, Snapshot
from service.identity.principal import Principal, parse_principal
from service.identity.rules import WARNING_RULES, WarningRule, collect_warnings

CONTEXT = DeploymentContext()
REGION = CONTEXT.region
OTHER_REGION = "eu-west-1"
TASK_ROLE = CONTEXT.task_role_name
EXECUTION_ROLE = CONTEXT.execution_role_name
NOW = datetime(2030, 1, 1, tzinfo=UTC)
RULES_BY_CODE = {r.code: r for r in WARNING_RULES}
PROJECT_ROOT = Path(__file__).resolve().parents[2]
IDENTITY_DOC = PROJECT_ROOT / "docs" / "identity.md"


def identity(arn: str) -> CallerIdentity:
    return CallerIdentity(CONTEXT.account_id, arn, "AROAEXAMPLE:task", parse_principal(arn))


TASK_IDENTITY = identity(CONTEXT.arn("sts", f"assumed-role/{TASK_ROLE}/abc", region=False))
ON_ECS = EnvironmentFacts(
    metadata_uri="http://169.254.170.2/v4/abc",
    execution_env="AWS_ECS_FARGATE",
    container_endpoint="AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)
OFF_ECS = EnvironmentFacts()
TASK_CREDENTIALS = CredentialFacts(
    source="container-role",
    description="the ECS task role",
    access_key_id="ASIA****WXYZ",
    expires_at=NOW + timedelta(hours=6),
    expires_in_seconds=6 * 3600,
    container_endpoint="AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
)
# A healthy task: on ECS, with its task role, in its queues' region. No rule fires on it.
HEALTHY = Snapshot(
    environment=ON_ECS,
    expectations=Expectations(
        expected_task_role_name=TASK_ROLE,
        execution_role_name=EXECUTION_ROLE,
        queue_regions=(("PENDING_QUEUE_URL", REGION), ("CONFIRMED_QUEUE_URL", REGION)),
    ),
    region=REGION,
    identity=TASK_IDENTITY,
    credentials=TASK_CREDENTIALS,
    ecs=EcsTask("arn:aws:ecs:us-east-1:123456789012:task/c/abc", "c", "f", "1", "FARGATE", "a"),
)


def with_env(**changes: object) -> Snapshot:
    return replace(HEALTHY, environment=replace(HEALTHY.environment, **changes))


def with_source(source: str, **env_changes: object) -> Snapshot:
    creds = replace(TASK_CREDENTIALS, source=source, container_endpoint=None)
    return replace(with_env(**env_changes), credentials=creds)


def with_expectations(**changes: object) -> Snapshot:
    return replace(HEALTHY, expectations=replace(HEALTHY.expectations, **changes))


def as_principal(arn: str) -> Snapshot:
    return replace(HEALTHY, identity=identity(arn))


def expiring_in(seconds: int | None) -> Snapshot:
    creds = replace(
        TASK_CREDENTIALS,
        expires_in_seconds=seconds,
        expires_at=None if seconds is None else NOW + timedelta(seconds=seconds),
    )
    return replace(HEALTHY, credentials=creds)


STATIC_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
NO_IDENTITY = replace(HEALTHY, identity=None, credentials=None)

# (code, snapshot, fires): at least one case each way for every rule.
CASES = [
    ("STATIC_KEYS_SHADOW_TASK_ROLE", with_source("env", static_keys=STATIC_KEYS), True),
    (
        "STATIC_KEYS_SHADOW_TASK_ROLE",
        replace(NO_IDENTITY, environment=replace(ON_ECS, static_keys=STATIC_KEYS[:1])),
        True,
    ),
    (
        "STATIC_KEYS_SHADOW_TASK_ROLE",
        with_source(
            "env",
            static_keys=STATIC_KEYS,
            container_endpoint=None,
            metadata_uri=None,
            execution_env=None,
        ),
        False,
    ),
    ("STATIC_KEYS_SHADOW_TASK_ROLE", HEALTHY, False),
    ("NO_TASK_ROLE", with_source("iam-role", container_endpoint=None), True),
    (
        "NO_TASK_ROLE",
        replace(NO_IDENTITY, environment=EnvironmentFacts(execution_env="AWS_ECS_EC2")),
        True,
    ),
    ("NO_TASK_ROLE", HEALTHY, False),
    ("NO_TASK_ROLE", replace(HEALTHY, environment=OFF_ECS), False),
    (
        "NO_TASK_ROLE",
        replace(HEALTHY, environment=EnvironmentFacts(execution_env="AWS_Lambda_python3.11")),
        False,
    ),
    ("NOT_USING_TASK_ROLE", with_source("env", static_keys=STATIC_KEYS), True),
    ("NOT_USING_TASK_ROLE", with_source("shared-credentials-file"), True),
    (
        "NOT_USING_TASK_ROLE",
        with_source("iam-role", container_endpoint=None, execution_env=None),
        True,
    ),
    ("NOT_USING_TASK_ROLE", HEALTHY, False),
    ("NOT_USING_TASK_ROLE", replace(with_source("env"), environment=OFF_ECS), False),
    ("NOT_USING_TASK_ROLE", NO_IDENTITY, False),
    ("INSTANCE_ROLE_FALLBACK", with_source("iam-role", container_endpoint=None), True),
    ("INSTANCE_ROLE_FALLBACK", replace(with_source("iam-role"), environment=OFF_ECS), False),
    ("INSTANCE_ROLE_FALLBACK", HEALTHY, False),
    (
        "ROLE_MISMATCH",
        as_principal(f"arn:aws:sts::123456789012:assumed-role/{EXECUTION_ROLE}/abc"),
        True,
    ),
    ("ROLE_MISMATCH", as_principal("arn:aws:iam::123456789012:user/alice"), True),
    ("ROLE_MISMATCH", as_principal("arn:aws:sts::123456789012:assumed-role/Other/abc"), True),
    (
        "ROLE_MISMATCH",
        as_principal(f"arn:aws:sts::123456789012:assumed-role/{TASK_ROLE.upper()}/abc"),
        False,
    ),
    ("ROLE_MISMATCH", HEALTHY, False),
    (
        "ROLE_MISMATCH",
        replace(
            with_expectations(expected_task_role_name=None),
            identity=identity("arn:aws:iam::123456789012:user/alice"),
        ),
        False,
    ),
    ("ROLE_MISMATCH", NO_IDENTITY, False),
    (
        "EXECUTION_ROLE_IN_USE",
        as_principal(f"arn:aws:sts::123456789012:assumed-role/{EXECUTION_ROLE}/abc"),
        True,
    ),
    ("EXECUTION_ROLE_IN_USE", HEALTHY, False),
    (
        "EXECUTION_ROLE_IN_USE",
        replace(
            with_expectations(execution_role_name=None),
            identity=identity(f"arn:aws:sts::123456789012:assumed-role/{EXECUTION_ROLE}/abc"),
        ),
        False,
    ),
    (
        "EXECUTION_ROLE_IN_USE",
        as_principal(f"arn:aws:iam::123456789012:user/{EXECUTION_ROLE}"),
        False,
    ),
    ("ROOT_CREDENTIALS", as_principal("arn:aws:iam::123456789012:root"), True),
    ("ROOT_CREDENTIALS", as_principal("arn:aws:iam::123456789012:user/root"), False),
    ("ROOT_CREDENTIALS", HEALTHY, False),
    ("REGION_MISSING", replace(HEALTHY, region=None), True),
    ("REGION_MISSING", replace(NO_IDENTITY, region=""), True),
    ("REGION_MISSING", HEALTHY, False),
    (
        "REGION_MISMATCH",
        with_expectations(queue_regions=(("PENDING_QUEUE_URL", OTHER_REGION),)),
        True,
    ),
    ("REGION_MISMATCH", replace(HEALTHY, region=OTHER_REGION), True),
    ("REGION_MISMATCH", with_expectations(queue_regions=()), False),
    (
        "REGION_MISMATCH",
        replace(
            with_expectations(queue_regions=(("PENDING_QUEUE_URL", OTHER_REGION),)), region=None
        ),
        False,
    ),
    ("REGION_MISMATCH", HEALTHY, False),
    ("CREDENTIALS_EXPIRING", expiring_in(299), True),
    ("CREDENTIALS_EXPIRING", expiring_in(1), True),
    ("CREDENTIALS_EXPIRING", expiring_in(0), True),
    ("CREDENTIALS_EXPIRING", expiring_in(300), False),
    ("CREDENTIALS_EXPIRING", expiring_in(None), False),
    ("CREDENTIALS_EXPIRING", NO_IDENTITY, False),
    ("PROFILE_ON_ECS", with_env(profile="dev"), True),
    ("PROFILE_ON_ECS", replace(HEALTHY, environment=EnvironmentFacts(profile="dev")), False),
    ("PROFILE_ON_ECS", HEALTHY, False),
    (
        "ECS_METADATA_UNAVAILABLE",
        replace(HEALTHY, ecs=None, ecs_error="GET x failed: refused"),
        True,
    ),
    (
        "ECS_METADATA_UNAVAILABLE",
        replace(HEALTHY, environment=replace(ON_ECS, metadata_uri=None), ecs=None),
        False,
    ),
    ("ECS_METADATA_UNAVAILABLE", HEALTHY, False),
]


@pytest.mark.parametrize(
    ("code", "snapshot", "fires"),
    CASES,
    ids=[
        f"{code}-{'fires' if fires else 'silent'}-{i}" for i, (code, _s, fires) in enumerate(CASES)
    ],
)
def test_rule_fires_exactly_when_its_condition_holds(
    code: str, snapshot: Snapshot, fires: bool
) -> None:
    rule = RULES_BY_CODE[code]
    finding = rule.check(snapshot)
    assert (finding is not None) == fires
    if finding is not None:
        assert finding.code == code
        assert finding.severity == rule.severity
        assert finding.message.endswith(rule.fix)
        assert len(finding.message) > len(rule.fix) + 10  # the problem is stated, then the fix
        assert code in [f.code for f in collect_warnings(snapshot)]
    else:
        assert code not in [f.code for f in collect_warnings(snapshot)]


def test_a_healthy_task_has_no_warnings() -> None:
    assert collect_warnings(HEALTHY) == ()


def test_every_rule_has_a_case_that_fires_and_one_that_does_not() -> None:
    for code in RULES_BY_CODE:
        assert {fires for c, _s, fires in CASES if c == code} == {True, False}, code


def test_every_defined_rule_is_listed_exactly_once() -> None:
    defined = [value for value in vars(rules_module).values() if isinstance(value, WarningRule)]
    assert sorted(r.code for r in defined) == sorted(r.code for r in WARNING_RULES)


@pytest.mark.parametrize("order", ["as listed", "reversed"])
def test_the_report_order_is_the_order_of_the_rule_list(order: str) -> None:
    # Every rule fires, so the warnings show the order the rules ran in.
    rules = [replace(r, detect=lambda s: "It fires.") for r in WARNING_RULES]
    if order == "reversed":
        rules.reverse()
    assert [f.code for f in collect_warnings(HEALTHY, rules)] == [r.code for r in rules]


def test_codes_are_unique_and_severities_known() -> None:
    assert len(RULES_BY_CODE) == len(WARNING_RULES)
    assert all(r.severity in ("error", "warning", "info") for r in WARNING_RULES)
    assert all(r.code == r.code.upper() and " " not in r.code for r in WARNING_RULES)


@pytest.mark.parametrize(
    ("code", "severity"),
    [
        ("STATIC_KEYS_SHADOW_TASK_ROLE", "error"),
        ("NOT_USING_TASK_ROLE", "error"),
        ("INSTANCE_ROLE_FALLBACK", "error"),
        ("ROLE_MISMATCH", "error"),
        ("EXECUTION_ROLE_IN_USE", "error"),
        ("REGION_MISSING", "error"),
        ("REGION_MISMATCH", "error"),
        ("CREDENTIALS_EXPIRING", "warning"),
    ],
)
def test_the_published_codes_keep_their_severity(code: str, severity: str) -> None:
    assert RULES_BY_CODE[code].severity == severity


def test_the_identity_page_lists_the_warnings_in_report_order() -> None:
    text = IDENTITY_DOC.read_text()
    positions = [text.index(f"| `{rule.code}` |") for rule in WARNING_RULES]
    assert positions == sorted(positions)


def test_the_identity_page_documents_every_code() -> None:
    text = IDENTITY_DOC.read_text()
    for rule in WARNING_RULES:
        assert f"`{rule.code}`" in text, rule.code


def test_region_mismatch_names_each_queue_and_both_regions() -> None:
    snapshot = with_expectations(
        queue_regions=(("PENDING_QUEUE_URL", OTHER_REGION), ("CONFIRMED_QUEUE_URL", "ap-south-1"))
    )
    finding = RULES_BY_CODE["REGION_MISMATCH"].check(snapshot)
    assert finding is not None
    for text in ("PENDING_QUEUE_URL", OTHER_REGION, "CONFIRMED_QUEUE_URL", "ap-south-1", REGION):
        assert text in finding.message


@pytest.mark.parametrize(("seconds", "text"), [(299, "expire in 299 s"), (0, "have expired")])
def test_expiring_credentials_say_how_long_is_left(seconds: int, text: str) -> None:
    finding = RULES_BY_CODE["CREDENTIALS_EXPIRING"].check(expiring_in(seconds))
    assert finding is not None and text in finding.message


def test_role_mismatch_names_the_principal_and_the_expected_role() -> None:
    arn = "arn:aws:iam::123456789012:user/alice"
    finding = RULES_BY_CODE["ROLE_MISMATCH"].check(as_principal(arn))
    assert finding is not None
    assert "IAM user alice" in finding.message and arn in finding.message
    assert repr(TASK_ROLE) in finding.message


# -- expectations -------------------------------------------------------------------------------
def settings_env(**changes: str) -> dict[str, str]:
    ctx = DeploymentContext()
    env = {
        "AWS_REGION": ctx.region,
        "PENDING_QUEUE_URL": ctx.queue_url(ctx.pending_queue_name),
        "CONFIRMED_QUEUE_URL": ctx.queue_url(ctx.confirmed_queue_name),
        "EXPECTED_TASK_ROLE_NAME": ctx.task_role_name,
        "EXECUTION_ROLE_NAME": ctx.execution_role_name,
    }
    env.update(changes)
    return env


def test_expectations_from_settings_carry_roles_and_queue_regions() -> None:
    expectations = Expectations.from_settings(Settings.from_env(settings_env()))
    assert expectations == Expectations(
        expected_task_role_name=TASK_ROLE,
        execution_role_name=EXECUTION_ROLE,
        queue_regions=(("PENDING_QUEUE_URL", REGION), ("CONFIRMED_QUEUE_URL", REGION)),
    )


def test_local_queue_urls_name_no_region() -> None:
    local = DeploymentContext(sqs_endpoint="http://127.0.0.1:5000")
    env = settings_env(
        PENDING_QUEUE_URL=local.queue_url(local.pending_queue_name),
        CONFIRMED_QUEUE_URL=local.queue_url(local.confirmed_queue_name),
    )
    assert Expectations.from_settings(Settings.from_env(env)).queue_regions == ()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, Expectations()),
        (
            {"PENDING_QUEUE_URL": "not a url", "EXPECTED_TASK_ROLE_NAME": ""},
            Expectations(),
        ),
        (
            {
                "PENDING_QUEUE_URL": f"https://sqs.{OTHER_REGION}.amazonaws.com/123456789012/q",
                "CONFIRMED_QUEUE_URL": "https://sqs.example/123/bad-path",
                "EXECUTION_ROLE_NAME": EXECUTION_ROLE,
            },
            Expectations(
                execution_role_name=EXECUTION_ROLE,
                queue_regions=(("PENDING_QUEUE_URL", OTHER_REGION),),
            ),
        ),
    ],
)
def test_expectations_from_the_environment_are_lenient(
    env: dict[str, str], expected: Expectations
) -> None:
    assert Expectations.from_env(env) == expected


@pytest.mark.parametrize(
    ("environ", "on_ecs"),
    [
        ({}, False),
        ({"ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/x"}, True),
        ({"AWS_EXECUTION_ENV": "AWS_ECS_FARGATE"}, True),
        ({"AWS_EXECUTION_ENV": "AWS_ECS_EC2"}, True),
        ({"AWS_EXECUTION_ENV": "AWS_Lambda_python3.11"}, False),
        ({"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/x"}, True),
        ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds"}, True),
        ({"ECS_CONTAINER_METADATA_URI_V4": ""}, False),
    ],
)
def test_on_ecs_follows_the_three_signals(environ: dict[str, str], on_ecs: bool) -> None:
    assert EnvironmentFacts.from_environ(environ).on_ecs is on_ecs


def test_environment_facts_keep_names_not_secret_values() -> None:
    facts = EnvironmentFacts.from_environ(
        {
            "AWS_ACCESS_KEY_ID": "AKIA0000000000000000",
            "AWS_SECRET_ACCESS_KEY": "the-secret",
            "AWS_PROFILE": "dev",
        }
    )
    assert facts.static_keys == ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    assert facts.profile == "dev"
    assert "the-secret" not in repr(facts)


def test_principal_of_a_snapshot_identity_is_parsed() -> None:
    assert TASK_IDENTITY.principal == Principal("assumed-role", TASK_ROLE, "abc")
