"""Run every rule over one rendered artifact set and collect the findings in a stable order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from artifacts.context import DeploymentContext
from artifacts.render import POLICIES_DIR, TASKDEF_FILE, ArtifactSet, render_artifacts
from checker.findings import Finding, Report, Severity, display_path
from checker.rules.base import Hit, Rule
from checker.ruleset import RULES
from checker.subject import Subject
from service.awscalls import AwsCall

CallsLoader = Callable[[], Sequence[AwsCall]]
# A rule that fails on input it did not expect reports that instead of stopping the run.
RULE_FAILED = "CK001"


def _finding(rule: Rule, hit: Hit, artifacts: ArtifactSet) -> Finding:
    source = artifacts.sources.get(hit.document)
    return Finding(
        code=rule.code,
        severity=rule.severity,
        file=display_path(source) if source is not None else display_path(hit.document),
        path=hit.path,
        message=hit.message,
        fix=hit.fix or rule.fix,
    )


def _run(rule: Rule, subject: Subject) -> Iterable[Finding]:
    try:
        hits = list(rule.check(subject))
    except Exception as exc:  # one broken rule must not hide the others' findings
        yield Finding(
            RULE_FAILED,
            Severity.ERROR,
            display_path(subject.artifacts.sources["task_definition"]),
            "$",
            f"rule {rule.code} could not check this input: {type(exc).__name__}: {exc}",
            "Fix the findings above; if none explain it, report this as a checker bug.",
        )
        return
    for hit in hits:
        yield _finding(rule, hit, subject.artifacts)


def run_checks(
    artifacts: ArtifactSet, calls: Sequence[AwsCall], rules: Sequence[Rule] = RULES
) -> Report:
    """Check ``artifacts`` against every rule, with ``calls`` as the service's declared AWS calls."""
    subject = Subject(artifacts, tuple(calls))
    findings: list[Finding] = []
    seen: set[Finding] = set()
    for rule in rules:
        for finding in _run(rule, subject):
            if finding not in seen:
                seen.add(finding)
                findings.append(finding)
    files = tuple(dict.fromkeys(display_path(path) for path in artifacts.sources.values()))
    return Report(tuple(findings), files)


def check_files(
    calls: Sequence[AwsCall],
    context: DeploymentContext | None = None,
    policies_dir: Path = POLICIES_DIR,
    taskdef_file: Path = TASKDEF_FILE,
) -> Report:
    """Render the artifact files for ``context`` (default: the local one) and check them.

    Raises :class:`artifacts.ArtifactError` when a file cannot be read or rendered.
    """
    artifacts = render_artifacts(context or DeploymentContext(), policies_dir, taskdef_file)
    return run_checks(artifacts, calls)
