"""Role credentials and their rotation, with a clock the tests control."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecslocal.credentials import RoleCredentials, RotatingCredentials, iso_z

START = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def issuer(clock: FakeClock, lifetime: timedelta = timedelta(minutes=60)):
    counter = {"n": 0}

    def issue() -> RoleCredentials:
        counter["n"] += 1
        return RoleCredentials(
            access_key_id=f"ASIA{counter['n']:016d}",
            secret_access_key=f"secret-{counter['n']}",
            session_token=f"token-{counter['n']}",
            expiration=clock.now + lifetime,
            role_arn="arn:aws:iam::123456789012:role/r",
            issued_at=clock.now,
        )

    return issue


def test_credentials_are_reused_until_half_their_life_then_refreshed_before_expiry():
    clock = FakeClock()
    rotating = RotatingCredentials(issuer(clock), clock=clock)
    first = rotating.current()
    clock.now += timedelta(minutes=29)
    assert rotating.current() is first
    clock.now += timedelta(minutes=1)
    second = rotating.current()
    assert second.access_key_id != first.access_key_id
    assert second.expiration > first.expiration
    assert first.expiration > clock.now  # refreshed while the old set was still valid
    assert rotating.generation == 2


def test_expired_credentials_are_never_handed_out():
    clock = FakeClock()
    rotating = RotatingCredentials(issuer(clock), clock=clock, refresh_fraction=1.0)
    first = rotating.current()
    clock.now += timedelta(minutes=61)
    assert rotating.current().expiration > clock.now
    assert rotating.current() is not first


def test_rotate_issues_new_keys_at_once_and_announces_the_generation():
    clock = FakeClock()
    announced = []
    rotating = RotatingCredentials(
        issuer(clock), clock=clock, on_rotate=lambda creds, gen: announced.append(gen)
    )
    first = rotating.current()
    rotated = rotating.rotate()
    assert rotated.access_key_id != first.access_key_id
    assert rotating.current() is rotated
    assert announced == [1, 2]


def test_the_container_document_has_ecs_fields_and_a_z_timestamp():
    creds = issuer(FakeClock())()
    document = creds.container_document()
    assert set(document) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn"}
    assert document["Expiration"] == "2030-01-01T13:00:00Z"


def test_timestamps_in_another_zone_are_written_in_utc():
    moment = datetime(2030, 1, 1, 14, 0, tzinfo=UTC).astimezone(
        __import__("datetime").timezone(timedelta(hours=2))
    )
    assert iso_z(moment) == "2030-01-01T14:00:00Z"


def test_repr_never_shows_the_secret_parts():
    creds = issuer(FakeClock())()
    assert "secret-1" not in repr(creds)
    assert "token-1" not in repr(creds)
    assert creds.masked_key_id().endswith(creds.access_key_id[-4:])
    assert creds.access_key_id not in creds.masked_key_id()


def test_naive_timestamps_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        RoleCredentials("A", "s", "t", datetime(2030, 1, 1), "arn", START)


@pytest.mark.parametrize("fraction", [0, -0.1, 1.5])
def test_refresh_fraction_outside_zero_to_one_is_refused(fraction):
    with pytest.raises(ValueError, match="refresh_fraction"):
        RotatingCredentials(issuer(FakeClock()), refresh_fraction=fraction)
