"""Identity reports as the ``/whoami`` JSON document and as terminal text. No AWS calls here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from service.errors import IdentityUnavailable
from service.identity.credentials import iso_utc
from service.identity.model import IdentityReport, IdentityWarning


def warning_to_dict(finding: IdentityWarning) -> dict[str, str]:
    """One warning as ``{code, severity, message}``."""
    return {"code": finding.code, "severity": finding.severity, "message": finding.message}


def warnings_to_dicts(findings: Iterable[IdentityWarning]) -> list[dict[str, str]]:
    """The warnings list of the JSON documents."""
    return [warning_to_dict(finding) for finding in findings]


def report_to_dict(report: IdentityReport) -> dict[str, Any]:
    """The ``/whoami`` JSON document."""
    creds = report.credentials
    return {
        "account": report.account,
        "arn": report.arn,
        "principal_type": report.principal_type,
        "role_name": report.role_name,
        "session_name": report.session_name,
        "user_id": report.user_id,
        "region": report.region,
        "credentials": {
            "source": creds.source,
            "description": creds.description,
            "access_key_id": creds.access_key_id,
            "expires_at": iso_utc(creds.expires_at),
            "expires_in_seconds": creds.expires_in_seconds,
            "container_endpoint": creds.container_endpoint,
        },
        "ecs": asdict(report.ecs) if report.ecs is not None else None,
        "warnings": warnings_to_dicts(report.warnings),
    }


def error_to_dict(error: IdentityUnavailable) -> dict[str, Any]:
    """The JSON document for a report that could not be made: the error and the warnings."""
    return {
        "error": {"code": error.code, "message": error.message},
        "warnings": warnings_to_dicts(error.warnings),
    }


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def _rows(rows: list[tuple[str, str | None]]) -> list[str]:
    width = max(len(label) for label, _ in rows)
    return [f"{label:<{width}}  {value}" for label, value in rows if value is not None]


def warnings_to_text(findings: Iterable[IdentityWarning]) -> list[str]:
    """One block per warning: severity and code, then the message."""
    lines = []
    for finding in findings:
        lines.append(f"  [{finding.severity}] {finding.code}")
        lines.append(f"      {finding.message}")
    return lines


def report_to_text(report: IdentityReport) -> str:
    """The report for a terminal."""
    creds = report.credentials
    principal = report.describe_principal()
    if report.session_name:
        principal += f", session {report.session_name}"
    source = f"{creds.source}: {creds.description}"
    if creds.container_endpoint:
        source += f" (via {creds.container_endpoint})"
    if creds.expires_at is None:
        expiry = "never (long-term credentials)"
    else:
        expiry = f"{iso_utc(creds.expires_at)} (in {_duration(creds.expires_in_seconds or 0)})"
    rows: list[tuple[str, str | None]] = [
        ("Account", report.account),
        ("ARN", report.arn),
        ("Principal", principal),
        ("User id", report.user_id),
        ("Region", report.region or "(none)"),
        ("Credentials", source),
        ("Access key", creds.access_key_id),
        ("Expires", expiry),
    ]
    if report.ecs is None:
        rows.append(("ECS task", "(not on ECS)"))
    else:
        ecs = report.ecs
        rows += [
            ("ECS task", ecs.task_arn),
            ("ECS cluster", ecs.cluster),
            ("Task family", f"{ecs.family}:{ecs.revision}"),
            ("Launch type", ecs.launch_type),
            ("Zone", ecs.availability_zone),
        ]
    lines = _rows(rows)
    if report.warnings:
        lines += ["", f"Warnings ({len(report.warnings)}):", *warnings_to_text(report.warnings)]
    else:
        lines += ["", "No warnings."]
    return "\n".join(lines)


def error_to_text(error: IdentityUnavailable) -> str:
    """A report that could not be made, for a terminal."""
    lines = [f"{error.code}: {error.message}"]
    if error.warnings:
        lines += ["", f"Warnings ({len(error.warnings)}):", *warnings_to_text(error.warnings)]
    return "\n".join(lines)
