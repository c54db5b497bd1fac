"""``GET /whoami``: the credential checker's report."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from service.errors import IdentityUnavailable
from service.identity import report_to_dict, warnings_to_dicts
from service.state import current_state

identity = Blueprint("identity", __name__)


@identity.get("/whoami", provide_automatic_options=False)
def whoami() -> dict[str, Any]:
    """The identity this process holds, its credential source and what is wrong with it."""
    try:
        report = current_state().checker.report()
    except IdentityUnavailable as error:
        # The error handler renders it; the warnings that still apply go next to the error.
        raise error.with_payload(warnings=warnings_to_dicts(error.warnings)) from None
    return report_to_dict(report)
