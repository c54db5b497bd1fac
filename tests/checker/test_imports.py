"""Importing one checker module loads what it uses: not every rule, not the IAM database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Loaded only by the rule list or the first action lookup, never as a side effect of an import.
HEAVY = ("checker.rules", "checker.ruleset", "policy_sentry.shared.iam_data", "parliament")


def loaded_after_import(module: str) -> list[str]:
    """The heavy modules a fresh interpreter holds after ``import module``."""
    probe = (
        f"import sys, {module}\n"
        f"print('\\n'.join(m for m in sys.modules if m.startswith({HEAVY!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


@pytest.mark.parametrize(
    "module",
    [
        "checker",
        "checker.arnmatch",
        "checker.findings",
        "checker.iamdb",
        "checker.policy",
        "checker.needs",
        "checker.grants",
        "checker.subject",
        "checker.output",
    ],
)
def test_importing_a_checker_module_loads_no_rule_and_no_iam_database(module: str) -> None:
    assert loaded_after_import(module) == []


def test_the_engine_loads_the_rules_but_not_the_iam_database_until_a_lookup() -> None:
    loaded = loaded_after_import("checker.engine")
    assert "checker.ruleset" in loaded
    assert "policy_sentry.shared.iam_data" not in loaded


def test_the_first_lookup_loads_the_iam_database() -> None:
    probe = (
        "import sys\nfrom checker import iamdb\n"
        "assert 'policy_sentry.shared.iam_data' not in sys.modules\n"
        "print(iamdb.lookup('sqs:sendmessage').name)\n"
        "print('policy_sentry.shared.iam_data' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["sqs:SendMessage", "True"]
