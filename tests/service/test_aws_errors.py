"""How botocore exceptions map to the service's errors (status, code, and what the message names)."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from service.awserrors import access_denied_from, translate
from service.errors import AccessDenied

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:courier-dev-pending"


def client_error(code: str, message: str, status: int) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "SomeOperation",
    )


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (NoCredentialsError(), 503, "no_credentials"),
        (
            PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"),
            503,
            "no_credentials",
        ),
        (CredentialRetrievalError(provider="container-role", error_msg="x"), 503, "no_credentials"),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), 503, "aws_unavailable"),
        (ConnectTimeoutError(endpoint_url="http://10.0.0.1"), 503, "aws_unavailable"),
        (ReadTimeoutError(endpoint_url="http://10.0.0.1"), 503, "aws_unavailable"),
        (client_error("AccessDenied", "User: x is not authorized", 403), 403, "access_denied"),
        (client_error("403", "<Code>AccessDenied</Code>", 403), 403, "access_denied"),
        (client_error("AccessDeniedException", "denied", 400), 403, "access_denied"),
        (client_error("KMS.AccessDeniedException", "denied", 400), 403, "access_denied"),
        (client_error("InvalidClientTokenId", "bad token", 403), 503, "credentials_rejected"),
        (client_error("ExpiredToken", "expired", 400), 503, "credentials_rejected"),
        (client_error("SignatureDoesNotMatch", "sig", 403), 503, "credentials_rejected"),
        (
            client_error("AWS.SimpleQueueService.NonExistentQueue", "no", 400),
            503,
            "queue_unavailable",
        ),
        (client_error("QueueDoesNotExist", "no", 400), 503, "queue_unavailable"),
        (client_error("ReceiptHandleIsInvalid", "bad", 400), 404, "invalid_receipt_handle"),
        (client_error("MessageNotInflight", "late", 400), 409, "message_not_in_flight"),
        (
            client_error(
                "InvalidParameterValue", "Reason: Message must be shorter than 1024 bytes.", 400
            ),
            413,
            "payload_too_large",
        ),
        (client_error("InvalidMessageContents", "bad char", 400), 400, "rejected_by_sqs"),
        (client_error("RequestThrottled", "slow down", 400), 503, "aws_unavailable"),
        (client_error("InternalError", "oops", 500), 503, "aws_unavailable"),
        (client_error("Weird", "?", 302), 502, "aws_error"),
    ],
)
def test_botocore_errors_map_to_status_and_code(exc: Exception, status: int, code: str) -> None:
    error = translate(exc, "sqs:SendMessage", QUEUE_ARN)
    assert (error.status, error.code) == (status, code)


@pytest.mark.parametrize(
    ("message", "action", "resource", "principal"),
    [
        (
            "User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: "
            f"sqs:deletemessage on resource: {QUEUE_ARN} because no identity-based policy allows it",
            "sqs:DeleteMessage",
            QUEUE_ARN,
            "arn:aws:sts::123456789012:assumed-role/r/s",
        ),
        (
            "User: arn:aws:iam::123456789012:user/u is not authorized to perform: sqs:DeleteMessage",
            "sqs:DeleteMessage",
            "declared-resource",
            "arn:aws:iam::123456789012:user/u",
        ),
        (
            "User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: sqs:SendMessageBatch",
            "sqs:SendMessage",
            "declared-resource",
            "arn:aws:sts::1:assumed-role/r/s",
        ),
        (
            "not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:1:key/k",
            "kms:Decrypt",
            "arn:aws:kms:us-east-1:1:key/k",
            None,
        ),
        ("Access Denied", "sqs:DeleteMessage", "declared-resource", None),
    ],
)
def test_denial_names_action_and_resource_from_the_message_or_the_declared_call(
    message: str, action: str, resource: str, principal: str | None
) -> None:
    declared = "sqs:SendMessage" if "Batch" in message else "sqs:DeleteMessage"
    error = access_denied_from(message, declared, "declared-resource")
    assert isinstance(error, AccessDenied)
    assert (error.action, error.resource, error.principal_arn) == (action, resource, principal)


def test_credential_provider_text_is_not_copied_into_the_message() -> None:
    exc = CredentialRetrievalError(provider="container-role", error_msg="token=SECRET-VALUE-123")
    assert "SECRET-VALUE-123" not in translate(exc).message
