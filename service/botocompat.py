"""The botocore internals this project reads, in one place (the adapter for botocore).

botocore offers no public accessor for these. Every read of a private botocore attribute goes
through this module, and ``tests/service/test_botocompat.py`` pins each one against the installed
botocore, so an upgrade that changes them fails those tests loudly instead of degrading quietly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.validate import ValidationErrors

# The method every client call goes through; the tests' secret guard wraps it to learn the secrets
# a call sends and receives (botocore's event hooks are per client, the guard needs every client).
API_CALL_METHOD = "_make_api_call"


def credentials_expiry(credentials: object) -> datetime | None:
    """The expiry time of botocore credentials, or None for credentials that do not expire.

    ``RefreshableCredentials`` keeps it in ``_expiry_time`` (an aware datetime); static
    credentials have none.
    """
    expiry = getattr(credentials, "_expiry_time", None)
    if not isinstance(expiry, datetime):
        return None
    return expiry if expiry.tzinfo else expiry.replace(tzinfo=UTC)


def validation_errors(report: ValidationErrors) -> list[tuple[str, dict[str, Any], str]] | None:
    """Each error of a ParamValidator report as (parameter name, details, message).

    The public report is one string; ``_errors`` keeps each error with the parameter it is about
    (botocore names nested parameters ``.a[0].b``). None when botocore no longer keeps that list.
    """
    errors = getattr(report, "_errors", None)
    if not isinstance(errors, list):
        return None
    return [(error[1], error[2], report._format_error(error)) for error in errors]
