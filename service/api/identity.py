"""``GET /whoami``: the credential checker's report."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from service.errors import CredentialsUnavailable, IdentityUnavailable, ServiceError
from service.identity import (
    IdentityError,
    NoCredentialsError,
    report_to_dict,
    warnings_to_dicts,
)
from service.state import current_state

identity = Blueprint("identity", __name__)


@identity.get("/whoami", provide_automatic_options=False)
def whoami() -> dict[str, Any]:
    """The identity this process holds, its credential source and what is wrong with it."""
    try:
        report = current_state().checker.report()
    except IdentityError as error:
        cls: type[ServiceError] = (
            CredentialsUnavailable if isinstance(error, NoCredentialsError) else IdentityUnavailable
        )
        raise cls(error.message).with_payload(warnings=warnings_to_dicts(error.warnings)) from None
    return report_to_dict(report)
