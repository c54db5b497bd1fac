"""Check a response against the service's OpenAPI document: documented status, valid body."""

from __future__ import annotations

import json
from typing import Any

from openapi_schema_validator import OAS31Validator

from service.logs import REQUEST_ID_HEADER


def _schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    # Validate with the document's components as the root, so "#/components/..." refs resolve.
    return {**schema, "components": document["components"]}


def response_problems(
    document: dict[str, Any], method: str, path: str, status: int, headers: Any, body: bytes
) -> list[str]:
    """What is wrong with a response according to ``document`` (empty when it conforms)."""
    problems = []
    if REQUEST_ID_HEADER not in headers:
        problems.append(f"no {REQUEST_ID_HEADER} header")
    if method.upper() == "HEAD":
        return problems
    operation = document["paths"].get(path, {}).get(method.lower())
    if operation is None:
        # Routing errors (404, 405) are not operations; they share the error shape.
        if status not in (404, 405):
            problems.append(f"{method} {path} answered {status} but is not in the document")
        schema: dict[str, Any] = {"$ref": "#/components/schemas/Error"}
    else:
        documented = operation["responses"].get(str(status))
        if documented is None:
            return [*problems, f"{method} {path}: status {status} is not documented"]
        media = str(headers.get("Content-Type", "")).split(";")[0].strip()
        if media and media != "application/json":
            # Another negotiated representation (text/html): it must be documented for the status.
            if media not in documented["content"]:
                problems.append(f"{method} {path} {status}: {media} is not documented")
            return problems
        schema = documented["content"]["application/json"]["schema"]
    try:
        data = json.loads(body)
    except ValueError:
        return [*problems, f"{method} {path} {status}: the body is not JSON"]
    validator = OAS31Validator(_schema(document, schema))
    problems.extend(
        f"{method} {path} {status}: {'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(data)
    )
    return problems
