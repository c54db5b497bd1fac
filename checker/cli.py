"""``python -m checker``: check the deployment artifacts offline.

Exit codes: 0 clean, 1 findings, 2 unreadable input (missing file, bad JSON, duplicate keys,
unknown placeholder, or a service call inventory that cannot be loaded).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from artifacts.context import DeploymentContext
from artifacts.loader import ArtifactError
from artifacts.render import POLICIES_DIR, TASKDEF_FILE, render_artifacts
from artifacts.template import TEMPLATE_FILE
from checker.engine import CallsLoader, run_checks
from checker.findings import Report, display_path
from checker.output import as_json, as_text
from checker.ruleset import RULES
from checker.template_source import template_artifacts
from service.awscalls import AwsCall

EXIT_CLEAN, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2


def load_declared_calls() -> Sequence[AwsCall]:
    """The service's inventory of AWS calls (imports every module that calls AWS)."""
    from service.awscalls import declared_calls

    return declared_calls()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m checker", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check the policies and the task definition")
    lint = commands.add_parser(
        "lint-policies", help="run parliament on the rendered permission policies"
    )
    for sub in (check, lint):
        sub.add_argument("--policies", type=Path, default=POLICIES_DIR, help="policy directory")
        sub.add_argument("--taskdef", type=Path, default=TASKDEF_FILE, help="task definition file")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument(
        "--template",
        type=Path,
        default=None,
        help=f"CloudFormation template to check too (default: {display_path(TEMPLATE_FILE)} if it exists)",
    )
    commands.add_parser("rules", help="list the rule codes")
    return parser


def _fail(message: str) -> int:
    print(f"checker: {message}", file=sys.stderr)
    return EXIT_UNREADABLE


def _check(args: argparse.Namespace, load_calls: CallsLoader) -> int:
    try:
        artifacts = render_artifacts(DeploymentContext(), args.policies, args.taskdef)
    except ArtifactError as exc:
        return _fail(str(exc))
    try:
        calls = load_calls()
    except Exception as exc:  # any failure to import the service is unreadable input
        return _fail(f"cannot load the service's declared AWS calls: {type(exc).__name__}: {exc}")
    report = run_checks(artifacts, calls)
    # The shipped template is checked with the shipped files; other files only when named.
    shipped = args.policies == POLICIES_DIR and args.taskdef == TASKDEF_FILE
    template = args.template or (TEMPLATE_FILE if shipped and TEMPLATE_FILE.is_file() else None)
    if template is not None:
        try:
            from_template = run_checks(template_artifacts(template, DeploymentContext()), calls)
        except ArtifactError as exc:
            return _fail(str(exc))
        report = Report(
            report.findings + from_template.findings, report.files + from_template.files
        )
    print(as_json(report) if args.json else as_text(report))
    return EXIT_CLEAN if report.clean else EXIT_FINDINGS


def _lint(args: argparse.Namespace) -> int:
    from checker.parliament_lint import lint_permission_policies

    try:
        artifacts = render_artifacts(DeploymentContext(), args.policies, args.taskdef)
    except ArtifactError as exc:
        return _fail(str(exc))
    findings = lint_permission_policies(artifacts)
    for finding in findings:
        print(finding)
    if not findings:
        print("parliament: no findings in the rendered permission policies")
    return EXIT_FINDINGS if findings else EXIT_CLEAN


def main(argv: Sequence[str] | None = None, load_calls: CallsLoader = load_declared_calls) -> int:
    """Run the command line; ``load_calls`` supplies the service's declared calls."""
    args = _parser().parse_args(argv)
    if args.command == "check":
        return _check(args, load_calls)
    if args.command == "lint-policies":
        return _lint(args)
    for rule in RULES:
        print(f"{rule.code}  {rule.severity:<7}  {rule.title}")
    return EXIT_CLEAN
