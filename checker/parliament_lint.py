"""Run parliament (Duo Labs' IAM linter) on the rendered permission policies.

Trust policies are left out: parliament reads them as identity policies and misreports them.
The policies are linted as rendered (the bytes :func:`artifacts.render.dumps` writes), not as the
templates with their placeholders.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from artifacts.render import ArtifactSet, dumps
from checker.findings import display_path

# The one module that calls parliament; is_finding_filtered comes from its command-line module,
# not its package API, so tests/checker/test_parliament_api.py pins it.
with warnings.catch_warnings():
    # parliament imports pkg_resources, which warns about its own deprecation on import.
    warnings.simplefilter("ignore")
    import parliament
    from parliament.cli import is_finding_filtered

PERMISSION_POLICIES = ("execution_policy", "task_policy")


@dataclass(frozen=True)
class LintFinding:
    """One parliament finding on a rendered permission policy."""

    file: str
    issue: str
    severity: str
    title: str
    detail: str

    def __str__(self) -> str:
        return f"{self.file}: {self.severity} {self.issue}: {self.title}: {self.detail}"


def lint_permission_policies(
    artifacts: ArtifactSet, minimum_severity: str = "LOW"
) -> list[LintFinding]:
    """parliament's findings on the rendered execution-role and task-role policies."""
    findings = []
    for name in PERMISSION_POLICIES:
        file = display_path(artifacts.sources[name])
        policy = parliament.analyze_policy_string(dumps(getattr(artifacts, name)), filepath=file)
        for finding in policy.findings:
            finding = parliament.enhance_finding(finding)
            if not is_finding_filtered(finding, minimum_severity):
                findings.append(
                    LintFinding(
                        file, finding.issue, finding.severity, finding.title, str(finding.detail)
                    )
                )
    return findings
