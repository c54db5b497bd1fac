"""``GET /whoami``: the credential checker's report, as JSON or (for a browser) as HTML."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from service.errors import IdentityUnavailable
from service.identity import report_to_dict, warnings_to_dicts
from service.identity.html import whoami_to_html
from service.state import current_state

identity = Blueprint("identity", __name__)
HTML = "text/html"
JSON = "application/json"


@identity.get("/whoami", provide_automatic_options=False)
def whoami() -> Response:
    """The identity this process holds, its credential source and what is wrong with it.

    JSON for every client but one whose ``Accept`` prefers ``text/html`` (a browser).
    """
    try:
        report = current_state().checker.report()
    except IdentityUnavailable as error:
        # The error handler renders it; the warnings that still apply go next to the error.
        raise error.with_payload(warnings=warnings_to_dicts(error.warnings)) from None
    document = report_to_dict(report)
    if _prefers_html():
        response = Response(whoami_to_html(document), mimetype="text/html")
    else:
        response = jsonify(document)
    response.vary.add("Accept")
    return response


def _prefers_html() -> bool:
    """Whether ``Accept`` ranks ``text/html`` above JSON (``*/*`` and no header mean JSON)."""
    accept = request.accept_mimetypes
    return accept.best_match([HTML, JSON]) == HTML and accept[HTML] > accept[JSON]
