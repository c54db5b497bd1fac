"""The ``/whoami`` report as a small HTML page, for a browser. Formatting only: no AWS calls.

It formats the JSON document (:func:`service.identity.formatting.report_to_dict`), so the page and
the JSON always say the same thing. Every value is escaped; the page needs no script or stylesheet.
"""

from __future__ import annotations

from html import escape
from typing import Any

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;"
    "line-height:1.4}th{text-align:left;padding-right:1rem;vertical-align:top}"
    "td{word-break:break-all}li{margin-bottom:.5rem}.sev{font-weight:bold}"
)


def _rows(document: dict[str, Any]) -> list[tuple[str, Any]]:
    creds = document.get("credentials") or {}
    ecs = document.get("ecs") or {}
    expires = creds.get("expires_at")
    if expires:
        expires = f"{expires} (in {creds.get('expires_in_seconds')} s)"
    rows: list[tuple[str, Any]] = [
        ("Account", document.get("account")),
        ("ARN", document.get("arn")),
        ("Principal type", document.get("principal_type")),
        ("Role", document.get("role_name")),
        ("Session", document.get("session_name")),
        ("Region", document.get("region")),
        ("Credential source", creds.get("source")),
        ("How they were found", creds.get("description")),
        ("Access key (masked)", creds.get("access_key_id")),
        ("Expires", expires or "never (long-term credentials)"),
        ("Container endpoint", creds.get("container_endpoint")),
    ]
    if ecs:
        rows += [
            ("ECS task", ecs.get("task_arn")),
            ("Task family", f"{ecs.get('family')}:{ecs.get('revision')}"),
            ("Cluster", ecs.get("cluster")),
        ]
    return [(label, value) for label, value in rows if value not in (None, "")]


def whoami_to_html(document: dict[str, Any]) -> str:
    """The page for one ``/whoami`` JSON document."""
    table = "\n".join(
        f"<tr><th scope=row>{escape(label)}</th><td>{escape(str(value))}</td></tr>"
        for label, value in _rows(document)
    )
    warnings = document.get("warnings") or []
    if warnings:
        items = "\n".join(
            f"<li><span class=sev>{escape(str(w.get('severity', '')))}</span> "
            f"<code>{escape(str(w.get('code', '')))}</code>: {escape(str(w.get('message', '')))}"
            "</li>"
            for w in warnings
        )
        warning_block = f"<h2>Warnings ({len(warnings)})</h2>\n<ul>\n{items}\n</ul>"
    else:
        warning_block = "<h2>Warnings</h2>\n<p>No warnings.</p>"
    return (
        "<!doctype html>\n<html lang=en>\n<head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>whoami</title><style>{_STYLE}</style></head>\n<body>\n"
        "<h1>Who this service runs as</h1>\n"
        f"<table>\n{table}\n</table>\n{warning_block}\n</body>\n</html>\n"
    )
