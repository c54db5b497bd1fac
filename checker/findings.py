"""What the checker reports: findings with a stable code, and the report that collects them."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from pathlib import Path


def display_path(path: Path | str) -> str:
    """``path`` relative to the working directory when it lies below it (a finding's ``file``)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class Severity(enum.StrEnum):
    """How bad a finding is. Every finding fails the check; severity says what to fix first."""

    ERROR = "error"  # the deployment fails, or grants or exposes more than it must
    WARNING = "warning"  # works today, but is fragile or misleading


@dataclass(frozen=True)
class Finding:
    """One problem in one artifact: where it is, what is wrong, and how to fix it."""

    code: str
    severity: Severity
    file: str
    path: str
    message: str
    fix: str

    def as_dict(self) -> dict[str, str]:
        """The finding as JSON-ready strings (the ``--json`` output)."""
        return {key: str(value) for key, value in asdict(self).items()}


@dataclass(frozen=True)
class Report:
    """The findings of one run over a set of artifacts, in a stable order."""

    findings: tuple[Finding, ...]
    files: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not self.findings

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(finding.code for finding in self.findings)

    def count(self, severity: Severity) -> int:
        """How many findings have ``severity``."""
        return sum(1 for finding in self.findings if finding.severity is severity)
