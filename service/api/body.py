"""Reading a JSON request body: content type first (415), then well-formed JSON (400)."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from service.errors import BadRequest, UnsupportedMediaType


def is_json_mimetype(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def json_body(*, optional: bool = False) -> Any:
    """The parsed JSON body of the current request.

    With ``optional``, a request without a body reads as ``{}``.
    Bodies over the app's MAX_CONTENT_LENGTH raise werkzeug's 413 while being read.
    """
    if optional and not request.get_data(cache=True):
        return {}
    if not is_json_mimetype(request.mimetype):
        sent = request.mimetype or "no content type"
        raise UnsupportedMediaType(f"send the body as application/json (got {sent})")
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"send the body as UTF-8 JSON (got charset {charset})")
    raw = request.get_data(cache=True)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not valid UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise BadRequest("the body is empty; send a JSON object")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"the body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except ValueError:  # e.g. an integer over Python's digit limit
        raise BadRequest("the body is not valid JSON: a number is too long") from None
    except RecursionError:
        raise BadRequest("the body nests too deeply") from None
