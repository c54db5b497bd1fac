"""Translate botocore exceptions into the service's domain errors.

The mapping follows what the caller can do about it: a denial is a 403 naming the action and the
resource; missing or rejected credentials and unreachable or throttled AWS are 503s (the service, not
the request, is at fault); SQS rejecting a request is a 400. Exception text from the credential chain
is never copied into a message: only the exception type and fixed guidance.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from service.errors import (
    AccessDenied,
    AwsRequestFailed,
    AwsUnavailable,
    CredentialsRejected,
    CredentialsUnavailable,
    InvalidReceiptHandle,
    MessageNotInFlight,
    PayloadTooLarge,
    QueueUnavailable,
    RejectedBySqs,
    ServiceError,
)

# "User: arn:... is not authorized to perform: sqs:DeleteMessage on resource: arn:... because ..."
_DENIAL_RE = re.compile(
    r"(?:User: (?P<principal>arn:\S+) )?(?:is )?not authorized to perform: (?P<action>[\w-]+:[\w*]+)"
    r"(?: on resource: (?P<resource>[^\s,;]+))?",
    re.IGNORECASE,
)
_CREDENTIAL_REJECTED_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "InvalidSecurity",
        "MissingAuthenticationToken",
        "RequestExpired",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
    }
)
_NO_QUEUE_CODES = frozenset({"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"})
_BAD_HANDLE_CODES = frozenset({"ReceiptHandleIsInvalid", "InvalidReceiptHandle"})
_NOT_IN_FLIGHT_CODES = frozenset(
    {"MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight"}
)
_UNAVAILABLE_CODES = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "RequestThrottled",
        "ServiceUnavailable",
        "ThrottlingException",
        "Throttling",
        "KmsThrottled",
    }
)


def is_access_denied(status: int | None, code: str, message: str) -> bool:
    """Whether an AWS error is a permission denial.

    Classified by HTTP status and text as well as the code: moto's code can read ``403``.
    """
    if code in _CREDENTIAL_REJECTED_CODES:
        return False
    return (
        status == 403
        or "accessdenied" in code.replace(".", "").lower()
        or "AccessDenied" in message
        or "not authorized to perform" in message
    )


def access_denied_from(message: str, action: str, resource: str) -> AccessDenied:
    """An :class:`AccessDenied` with the action and resource named in ``message`` when it names them.

    ``action`` and ``resource`` are the declared action of the failing call and the resource it
    touched, used when the message does not say.
    """
    match = _DENIAL_RE.search(message)
    if match:
        named_action = match["action"]
        # Real SQS lowercases the action ("sqs:deletemessage"), and a batch call may be named
        # after its API ("sqs:SendMessageBatch", an action IAM does not have): the permission to
        # grant is then the declared action.
        if named_action.lower() not in (action.lower(), f"{action}Batch".lower()):
            action = named_action
        resource = match["resource"] or resource
        return AccessDenied(action, resource, match["principal"])
    return AccessDenied(action, resource)


def translate(exc: Exception, action: str = "an AWS action", resource: str = "*") -> ServiceError:
    """The domain error for a botocore exception raised while calling ``action`` on ``resource``."""
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return CredentialsUnavailable(
            "no AWS credentials found: on ECS give the task a task role; locally set the "
            "container credentials variables or a profile"
        )
    if isinstance(exc, CredentialRetrievalError):
        return CredentialsUnavailable(
            f"the credential provider failed ({type(exc).__name__}): check that the container "
            "credentials endpoint is reachable and the task role can be assumed"
        )
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError):
        endpoint = getattr(exc, "kwargs", {}).get("endpoint_url", "the AWS endpoint")
        return AwsUnavailable(f"{endpoint} did not answer {action} in time ({type(exc).__name__})")
    if isinstance(exc, EndpointConnectionError | ConnectionClosedError | HTTPClientError):
        endpoint = getattr(exc, "kwargs", {}).get("endpoint_url", "the AWS endpoint")
        return AwsUnavailable(f"cannot reach {endpoint} ({type(exc).__name__}) for {action}")
    if isinstance(exc, ClientError):
        return _translate_client_error(exc, action, resource)
    if isinstance(exc, BotoCoreError):
        return AwsUnavailable(f"{action} failed in the AWS client ({type(exc).__name__})")
    raise TypeError(f"not a botocore exception: {type(exc).__name__}")


def _translate_client_error(exc: ClientError, action: str, resource: str) -> ServiceError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _CREDENTIAL_REJECTED_CODES:
        return CredentialsRejected(
            f"AWS rejected the service's credentials ({code}): they are expired, revoked or not "
            "valid for this endpoint"
        )
    if is_access_denied(status, code, message):
        return access_denied_from(message, action, resource)
    if code in _NO_QUEUE_CODES:
        return QueueUnavailable(f"the queue {resource} does not exist (or is in another region)")
    if code in _BAD_HANDLE_CODES:
        return InvalidReceiptHandle(
            "the receipt handle is not valid for this queue: use the receipt_handle from a "
            "receive of this queue"
        )
    if code in _NOT_IN_FLIGHT_CODES:
        return MessageNotInFlight("the message is not in flight: its visibility timeout expired")
    if "must be shorter than" in message:
        return PayloadTooLarge(f"SQS refused the message as too large for the queue: {message}")
    if code in _UNAVAILABLE_CODES or (status is not None and status >= 500):
        return AwsUnavailable(f"SQS is unavailable for {action} ({code or status}); retry later")
    if status is not None and 400 <= status < 500:
        return RejectedBySqs(f"SQS rejected {action} ({code}): {message}")
    return AwsRequestFailed(f"{action} failed ({code or status}): {message}")


@contextmanager
def aws_errors(action: str, resource: str) -> Iterator[None]:
    """Translate any botocore exception raised inside the block (``from None``: no chained text)."""
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise translate(exc, action, resource) from None
