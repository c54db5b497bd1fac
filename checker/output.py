"""Text and JSON renderings of a report; no checking happens here."""

from __future__ import annotations

import json

from checker.findings import Report, Severity


def as_json(report: Report) -> str:
    """The machine-readable report."""
    return json.dumps(
        {
            "clean": report.clean,
            "files": list(report.files),
            "summary": {
                "findings": len(report.findings),
                "errors": report.count(Severity.ERROR),
                "warnings": report.count(Severity.WARNING),
            },
            "findings": [finding.as_dict() for finding in report.findings],
        },
        indent=2,
    )


def as_text(report: Report) -> str:
    """One block per finding, then a one-line summary."""
    if report.clean:
        return f"checked {', '.join(report.files)}: no findings"
    lines = []
    for finding in report.findings:
        lines.append(
            f"{finding.file}: {finding.path}: {finding.code} [{finding.severity}] {finding.message}"
        )
        lines.append(f"    fix: {finding.fix}")
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    lines.append(f"{len(report.findings)} findings ({errors} errors, {warnings} warnings)")
    return "\n".join(lines)
