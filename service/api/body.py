"""Reading a JSON request body: content type first (415), then well-formed JSON (400)."""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from service import strictjson
from service.errors import BadRequest, UnsupportedMediaType


def is_json_mimetype(mimetype: str) -> bool:
    """``application/json`` or a structured ``application/*+json`` type."""
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def _raw_body() -> bytes:
    raw = request.get_data(cache=True)
    limit = request.max_content_length
    if limit is not None and len(raw) >= limit:
        # A body without a Content-Length (chunked) is read up to the limit and handed over cut
        # short, without werkzeug's 413: a body that fills the limit did not fit in it.
        raise RequestEntityTooLarge()
    return raw


def json_body(*, optional: bool = False) -> Any:
    """The parsed JSON body of the current request.

    With ``optional``, a request without a body reads as ``{}``.
    Bodies over the app's MAX_CONTENT_LENGTH are a 413, with or without a Content-Length.
    """
    if optional and not _raw_body():
        return {}
    if not is_json_mimetype(request.mimetype):
        sent = request.mimetype or "no content type"
        raise UnsupportedMediaType(f"send the body as application/json (got {sent})")
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"send the body as UTF-8 JSON (got charset {charset})")
    raw = _raw_body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not valid UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise BadRequest("the body is empty; send a JSON object")
    try:
        return strictjson.loads(text)
    except strictjson.JsonError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
