"""The one place benchmark figures are written: ``bench/results.json``.

Each figure is a key with ``value``, ``unit``, ``goal`` (a human-readable bound such as ``">= 0.9"``
or ``null`` when the figure is only reported) and ``met`` (``true``/``false``, or ``null`` without a
goal). Benchmarks in separate modules merge their figures into the same file, so one ``make bench``
leaves one document behind.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

RESULTS_PATH = Path(__file__).with_name("results.json")

_COMPARE = {">=": operator.ge, "<=": operator.le, "<": operator.lt, ">": operator.gt}


@dataclass(frozen=True)
class Figure:
    """One measured figure and the goal it is held against."""

    name: str
    value: float
    unit: str
    goal: str | None = None  # "<op> <number>", for example ">= 0.9"

    @property
    def met(self) -> bool | None:
        """Whether the value meets the goal; None when there is no goal."""
        if self.goal is None:
            return None
        op, _, bound = self.goal.partition(" ")
        return bool(_COMPARE[op](self.value, float(bound)))

    def as_dict(self) -> dict[str, object]:
        """The figure as it is stored in results.json."""
        return {"value": self.value, "unit": self.unit, "goal": self.goal, "met": self.met}


def record(figures: list[Figure], path: Path = RESULTS_PATH) -> dict[str, object]:
    """Merge ``figures`` into the results file (other benchmarks' figures stay) and return it."""
    document: dict[str, object] = {}
    if path.exists():
        document = json.loads(path.read_text(encoding="utf-8"))
    for figure in figures:
        document[figure.name] = figure.as_dict()
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return document


def format_table(document: Mapping[str, Mapping[str, object]]) -> str:
    """A plain-text table of the figures, for the terminal and the docs."""
    lines = [f"{'figure':<32} {'value':>12} {'unit':<10} {'goal':<10} met"]
    for name, figure in sorted(document.items()):
        value = figure["value"]
        shown = f"{value:.3g}" if isinstance(value, float) else str(value)
        met = {True: "yes", False: "NO", None: "-"}[figure["met"]]  # type: ignore[index]
        lines.append(
            f"{name:<32} {shown:>12} {figure['unit']!s:<10} {figure['goal'] or '-':<10} {met}"
        )
    return "\n".join(lines)
