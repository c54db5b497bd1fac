"""Principal parsing from caller-identity ARNs, access key masking and credential facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import botocore.credentials
import pytest
from botocore.credentials import Credentials, RefreshableCredentials

from service.identity.credentials import (
    SOURCE_DESCRIPTIONS,
    describe_credentials,
    describe_source,
    mask_access_key_id,
)
from service.identity.principal import Principal, parse_principal

NOW = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (
            "arn:aws:sts::123456789012:assumed-role/courier-dev-task/4f1c2d3e",
            Principal("assumed-role", "courier-dev-task", "4f1c2d3e"),
        ),
        (
            "arn:aws-cn:sts::123456789012:assumed-role/r/botocore-session-1",
            Principal("assumed-role", "r", "botocore-session-1"),
        ),
        (
            "arn:aws-us-gov:sts::123456789012:assumed-role/a+b=c,d.e@f-g/s@x.com",
            Principal("assumed-role", "a+b=c,d.e@f-g", "s@x.com"),
        ),
        ("arn:aws:iam::123456789012:user/alice", Principal("user", "alice")),
        ("arn:aws:iam::123456789012:user/division/team/bob", Principal("user", "bob")),
        ("arn:aws:sts::123456789012:user/moto", Principal("user", "moto")),
        ("arn:aws:iam::123456789012:root", Principal("root")),
        ("arn:aws:sts::123456789012:federated-user/carol", Principal("federated-user", "carol")),
    ],
)
def test_caller_identity_arns_name_their_principal(arn: str, expected: Principal) -> None:
    assert parse_principal(arn) == expected


@pytest.mark.parametrize(
    "arn",
    [
        "",
        "not an arn",
        "arn:aws:s3:::a-bucket",
        "arn:aws:iam::12345:user/short-account",
        "arn:aws:sts::123456789012:assumed-role/only-role",
        "arn:aws:sts::123456789012:assumed-role/role/session/extra",
        "arn:aws:iam::123456789012:role/a-role-not-a-session",
        "arn:aws:iam::123456789012:user/",
        "arn:aws:iam::123456789012:",
        "arn:aws:iam::123456789012:group/admins",
        "xarn:aws:iam::123456789012:root",
        "arn:aws:iam::123456789012:root\n",
    ],
)
def test_unrecognised_arns_are_unknown_without_failing(arn: str) -> None:
    principal = parse_principal(arn)
    assert principal.type == "unknown"
    assert principal.role_name is None
    assert principal.describe() == "an unrecognised principal"


@pytest.mark.parametrize(
    ("principal", "text"),
    [
        (Principal("assumed-role", "courier-dev-task", "x"), "role courier-dev-task"),
        (Principal("user", "alice"), "IAM user alice"),
        (Principal("root"), "the account's root user"),
        (Principal("federated-user", "carol"), "federated user carol"),
    ],
)
def test_principals_describe_themselves_in_plain_words(principal: Principal, text: str) -> None:
    assert principal.describe() == text


def test_only_assumed_roles_have_a_role_name() -> None:
    assert Principal("user", "alice").role_name is None
    assert Principal("assumed-role", "r", "s").role_name == "r"


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("ASIAY34FZKBOKMUTVV7A", "ASIA****VV7A"),
        ("AKIAIOSFODNN7EXAMPLE", "AKIA****MPLE"),
        ("ABCDEFGHIJKLMNOP", "ABCD****MNOP"),
        ("ABCDEFGH", "AB****GH"),
        ("ABCD", "A****D"),
        ("ABC", "****"),
        ("", None),
        (None, None),
    ],
)
def test_access_key_ids_are_masked(key: str | None, masked: str | None) -> None:
    assert mask_access_key_id(key) == masked


@pytest.mark.parametrize("length", range(1, 41))
def test_masking_never_shows_more_than_four_characters_each_side_or_half_the_key(
    length: int,
) -> None:
    key = "".join(chr(ord("A") + i % 26) for i in range(length))
    masked = mask_access_key_id(key)
    assert masked is not None
    shown = masked.replace("****", "", 1)
    assert len(shown) <= min(8, length // 2)
    assert key not in masked


def botocore_methods() -> set[str]:
    """The ``METHOD`` of every credential provider class the installed botocore has."""
    return {
        cls.METHOD
        for cls in vars(botocore.credentials).values()
        if isinstance(cls, type)
        and issubclass(cls, botocore.credentials.CredentialProvider)
        and isinstance(getattr(cls, "METHOD", None), str)
    }


def test_every_botocore_method_has_a_plain_description() -> None:
    methods = botocore_methods()
    assert {"env", "container-role", "iam-role", "shared-credentials-file"} <= methods
    # A provider botocore adds shows up here until it gets its description.
    assert methods - set(SOURCE_DESCRIPTIONS) == set()


def test_an_unknown_method_is_described_by_its_name() -> None:
    assert describe_source("brand-new-provider") == "the credential provider 'brand-new-provider'"
    assert describe_source(None).startswith("unknown")


def refreshable(expires_at: datetime, method: str = "container-role") -> RefreshableCredentials:
    return RefreshableCredentials(
        access_key="ASIAREFRESHABLE00001",
        secret_key="secret",
        token="token",
        expiry_time=expires_at,
        refresh_using=lambda: pytest.fail("describing credentials must not refresh them"),
        method=method,
    )


@pytest.mark.parametrize(
    ("expires_at", "seconds_left"),
    [
        (NOW + timedelta(hours=6), 6 * 3600),
        (NOW + timedelta(seconds=300), 300),
        (NOW + timedelta(seconds=299, milliseconds=999), 299),
        (NOW + timedelta(seconds=1), 1),
        (NOW, 0),
        (NOW - timedelta(hours=1), 0),
    ],
)
def test_seconds_left_count_down_to_zero(expires_at: datetime, seconds_left: int) -> None:
    facts = describe_credentials(refreshable(expires_at), "ASIAREFRESHABLE00001", {}, NOW)
    assert facts.expires_at == expires_at
    assert facts.expires_in_seconds == seconds_left


def test_expiry_in_another_time_zone_is_the_same_moment() -> None:
    plus_two = datetime(2030, 1, 1, 15, 0, 0, tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
    facts = describe_credentials(refreshable(plus_two), "ASIAREFRESHABLE00001", {}, NOW)
    assert facts.expires_in_seconds == 3 * 3600


def test_long_term_credentials_do_not_expire() -> None:
    static = Credentials("AKIASTATICSTATIC0001", "secret", method="shared-credentials-file")
    facts = describe_credentials(static, static.access_key, {}, NOW)
    assert facts.expires_at is None
    assert facts.expires_in_seconds is None
    assert facts.source == "shared-credentials-file"
    assert facts.access_key_id == "AKIA****0001"


@pytest.mark.parametrize(
    ("environ", "method", "endpoint"),
    [
        (
            {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/x"},
            "container-role",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        ),
        (
            {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1/c"},
            "container-role",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ),
        (
            {
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1/c",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/x",
            },
            "container-role",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        ),
        ({"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/x"}, "env", None),
        ({}, "container-role", None),
    ],
)
def test_container_endpoint_names_the_variable_botocore_used(
    environ: dict[str, str], method: str, endpoint: str | None
) -> None:
    facts = describe_credentials(
        refreshable(NOW + timedelta(hours=1), method), "ASIAREFRESHABLE00001", environ, NOW
    )
    assert facts.container_endpoint == endpoint
