"""The rule list is explicit: every defined rule is listed once, and the report follows the list."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

import pytest

import checker.rules
from artifacts.context import DeploymentContext
from artifacts.render import render_artifacts
from checker.engine import run_checks
from checker.rules.base import Hit, Rule
from checker.ruleset import RULES
from checker.subject import TASK_DEFINITION
from tests.checker.conftest import CALLS


def _defined_rules() -> list[Rule]:
    found = []
    for module_info in pkgutil.iter_modules(checker.rules.__path__):
        module = importlib.import_module(f"checker.rules.{module_info.name}")
        found += [value for value in vars(module).values() if isinstance(value, Rule)]
    return found


def _fires_once(subject):
    yield Hit(TASK_DEFINITION, "$.family", "fires")


def test_every_defined_rule_is_listed_exactly_once() -> None:
    listed = [rule.code for rule in RULES]
    assert len(listed) == len(set(listed))
    assert sorted(rule.code for rule in _defined_rules()) == sorted(listed)


@pytest.mark.parametrize("order", ["as listed", "reversed"])
def test_the_report_order_is_the_order_of_the_rule_list(order: str) -> None:
    # Every rule fires once, so the report shows the order the engine ran them in.
    rules = [dataclasses.replace(rule, check=_fires_once) for rule in RULES]
    if order == "reversed":
        rules.reverse()
    report = run_checks(render_artifacts(DeploymentContext()), CALLS, rules)
    assert [finding.code for finding in report.findings] == [rule.code for rule in rules]
