"""Policy evaluation the rules rely on: explicit Deny wins, NotResource, conditions, shapes."""

from __future__ import annotations

import pytest

from checker.policy import PolicyKind, parse_policy

Q1 = "arn:aws:sqs:us-east-1:123456789012:one"
Q2 = "arn:aws:sqs:us-east-1:123456789012:two"


def permission(*statements: dict) -> object:
    return parse_policy(
        {"Version": "2012-10-17", "Statement": list(statements)}, PolicyKind.PERMISSION
    )


ALLOW_ALL_SQS = {
    "Effect": "Allow",
    "Action": "sqs:*",
    "Resource": "arn:aws:sqs:us-east-1:123456789012:*",
}


@pytest.mark.parametrize(
    ("statements", "resource", "allowed"),
    [
        ([ALLOW_ALL_SQS], Q1, True),
        ([ALLOW_ALL_SQS, {"Effect": "Deny", "Action": "sqs:Send*", "Resource": Q1}], Q1, False),
        ([ALLOW_ALL_SQS, {"Effect": "Deny", "Action": "sqs:Send*", "Resource": Q1}], Q2, True),
        (
            [ALLOW_ALL_SQS, {"Effect": "Deny", "NotAction": "sqs:Receive*", "Resource": "*"}],
            Q1,
            False,
        ),
        ([ALLOW_ALL_SQS, {"Effect": "Deny", "Action": "sqs:*", "NotResource": Q1}], Q1, True),
        ([ALLOW_ALL_SQS, {"Effect": "Deny", "Action": "sqs:*", "NotResource": Q1}], Q2, False),
        # A conditional Deny narrows itself to unusual requests: it does not count against a need.
        (
            [
                ALLOW_ALL_SQS,
                {
                    "Effect": "Deny",
                    "Action": "sqs:*",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
            Q1,
            True,
        ),
        ([{"Effect": "Allow", "Action": "sqs:SendMessage", "NotResource": Q2}], Q1, True),
        ([{"Effect": "Allow", "NotAction": "sqs:SendMessage", "Resource": "*"}], Q1, False),
    ],
)
def test_decide_applies_deny_over_allow(statements, resource: str, allowed: bool) -> None:
    assert permission(*statements).decide("sqs:SendMessage", (resource,)).allowed is allowed


def test_the_blocking_deny_is_named() -> None:
    policy = permission(
        ALLOW_ALL_SQS,
        {"Sid": "NoSend", "Effect": "Deny", "Action": "sqs:SendMessage", "Resource": "*"},
    )
    decision = policy.decide("sqs:SendMessage", (Q1,))
    assert decision.denied_by is not None and decision.denied_by.sid == "NoSend"


def test_a_single_statement_object_and_string_elements_are_read() -> None:
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": Q1},
        },
        PolicyKind.PERMISSION,
    )
    assert policy.problems == ()
    assert policy.statements[0].path == "$.Statement"
    assert policy.statements[0].entries("Action") == [("$.Statement.Action", "sqs:SendMessage")]


@pytest.mark.parametrize(
    ("document", "kind", "problem"),
    [
        ([], PolicyKind.PERMISSION, "must be a JSON object"),
        ({"Version": "2012-10-17"}, PolicyKind.PERMISSION, "Statement must be a list"),
        (
            {"Statement": [{"Effect": "allow", "Action": "sqs:*", "Resource": "*"}]},
            PolicyKind.PERMISSION,
            "Effect must be",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Resource": "*"}]},
            PolicyKind.PERMISSION,
            "exactly one of Action",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": ["sqs:*", 3], "Resource": "*"}]},
            PolicyKind.PERMISSION,
            "must be a string",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]},
            PolicyKind.TRUST,
            "needs a Principal",
        ),
        (
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "x"},
                        "Action": "sts:AssumeRole",
                        "Resource": "*",
                    }
                ]
            },
            PolicyKind.TRUST,
            "must not name a Resource",
        ),
        ({"Statement": ["Allow"]}, PolicyKind.PERMISSION, "must be a JSON object"),
    ],
)
def test_malformed_documents_are_collected_not_raised(document, kind, problem: str) -> None:
    problems = parse_policy(document, kind).problems
    assert any(problem in message for _, message in problems), problems


def test_a_resource_that_is_not_an_arn_is_malformed() -> None:
    policy = permission(
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": ["courier-dev-pending", Q1]}
    )
    assert policy.problems == (
        (
            "$.Statement[0].Resource[0]",
            "'courier-dev-pending' is neither \"*\" nor an ARN with six colon-separated fields",
        ),
    )
    assert policy.decide("sqs:SendMessage", (Q1,)).allowed
