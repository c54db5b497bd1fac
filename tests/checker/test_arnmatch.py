"""IAM wildcard semantics: per ARN component, case-sensitive resources, case-blind actions."""

from __future__ import annotations

import pytest

from checker.arnmatch import action_matches, covers, overlaps

Q = "arn:aws:sqs:us-east-1:123456789012:courier-dev-pending"
GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/courier-dev"


@pytest.mark.parametrize(
    ("grant", "needed", "expected"),
    [
        (Q, Q, True),
        ("*", Q, True),
        ("arn:aws:sqs:us-east-1:123456789012:*", Q, True),
        ("arn:aws:sqs:us-east-1:123456789012:courier-dev-?ending", Q, True),
        ("arn:aws:sqs:*:123456789012:courier-dev-pending", Q, True),
        ("arn:aws:sqs:us-east-1:123456789012:Courier-dev-pending", Q, False),  # case-sensitive
        ("arn:aws:sqs:us-east-1:123456789012:courier-dev-pending-dlq", Q, False),
        ("arn:aws:sqs:us-east-1:123456789012:courier-dev-pending?", Q, False),  # ? is one character
        ("arn:aws:sqs:us-east-1:210987654321:courier-dev-pending", Q, False),
        ("arn:aws:sqs:us-east-?:123456789012:courier-dev-pending", Q, True),
        # A wildcard in one component does not reach into the next one.
        ("arn:aws:sqs:us-*:courier-dev-pending", Q, False),
        # The resource component keeps its colons: group:* covers every stream, not the bare group.
        (f"{GROUP}:*", f"{GROUP}:log-stream:*", True),
        (f"{GROUP}:*", GROUP, False),
        (GROUP, f"{GROUP}:log-stream:*", False),
        # Pattern against pattern: the grant must cover every ARN the need can stand for.
        (
            "arn:aws:ssm:us-east-1:123456789012:parameter/courier/dev/*",
            "arn:aws:ssm:us-east-1:123456789012:parameter/courier/dev/*",
            True,
        ),
        (
            "arn:aws:ssm:us-east-1:123456789012:parameter/courier/dev/*",
            "arn:aws:ssm:us-east-1:123456789012:parameter/courier/*",
            False,
        ),
        (
            "arn:aws:ssm:us-east-1:123456789012:parameter/courier/dev/?",
            "arn:aws:ssm:us-east-1:123456789012:parameter/courier/dev/*",
            False,
        ),
        (
            "arn:aws:ssm:us-east-1:123456789012:parameter/courier/dev/*",
            "arn:aws:ssm:us-east-1:123456789012:parameter/courier/dev/?",
            True,
        ),
        ("arn:aws:sqs:us-east-1:123456789012:courier-dev-pending", "*", False),
    ],
)
def test_covers_follows_iam_resource_matching(grant: str, needed: str, expected: bool) -> None:
    assert covers(grant, needed) is expected


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("arn:aws:sqs:us-east-1:123456789012:*", Q, True),
        (
            "arn:aws:sqs:us-east-1:123456789012:courier-*",
            "arn:aws:sqs:us-east-1:123456789012:*-pending",
            True,
        ),
        ("arn:aws:sqs:us-east-1:123456789012:a*", "arn:aws:sqs:us-east-1:123456789012:b*", False),
        ("arn:aws:sqs:us-east-1:123456789012:a?c", "arn:aws:sqs:us-east-1:123456789012:*b*", True),
        (
            "arn:aws:sqs:us-east-1:123456789012:a?c",
            "arn:aws:sqs:us-east-1:123456789012:abcd",
            False,
        ),
        ("arn:aws:sqs:eu-west-1:123456789012:*", Q, False),
        ("*", Q, True),
    ],
)
def test_overlaps_finds_a_common_arn(first: str, second: str, expected: bool) -> None:
    assert overlaps(first, second) is expected
    assert overlaps(second, first) is expected


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("sqs:SendMessage", "sqs:SendMessage", True),
        ("SQS:sendmessage", "sqs:SendMessage", True),  # action names ignore case
        ("sqs:Send*", "sqs:SendMessage", True),
        ("sqs:?endMessage", "sqs:SendMessage", True),
        ("sqs:Send", "sqs:SendMessage", False),
        ("*", "kms:Decrypt", True),
        ("ssm:GetParameter", "ssm:GetParameters", False),
        ("ssm:GetParameter*", "ssm:GetParameters", True),
    ],
)
def test_action_matching(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


QUEUES = "arn:aws:sqs:us-east-1:123456789012:"


# A regular expression backtracks exponentially on "a*a*...a*b" against a run of "a"s (ten stars
# took seconds, twenty never finished); the timeout only stops a regression from hanging the run.
@pytest.mark.timeout(60)
def test_covers_answers_for_many_wildcards() -> None:
    grant = QUEUES + "a*" * 3000 + "b"
    assert covers(grant, QUEUES + "a" * 3000) is False
    assert covers(grant, QUEUES + "a" * 3000 + "b") is True


def test_overlaps_answers_for_long_components() -> None:
    # Recursing per character overflowed the stack past about a thousand characters.
    long_name = QUEUES + "q" * 1500
    assert overlaps(long_name, long_name) is True
    assert overlaps(long_name, long_name + "x") is False
