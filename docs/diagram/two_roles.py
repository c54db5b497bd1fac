"""Draw ``docs/two-roles.svg``: who assumes which role, from where, and what each may touch.

The picture is drawn from the rendered artifacts (the trust policy, both permission policies and the
task definition, for the default deployment context), so it cannot drift from what is shipped:
``make docs`` redraws it and a test fails when the committed file is stale. Plain SVG text, written
here rather than with a plotting library, because the layout is three columns of boxes and arrows.

    python -m docs.diagram.two_roles [--output docs/two-roles.svg]
"""

from __future__ import annotations

import argparse
from html import escape
from pathlib import Path
from typing import Any

from artifacts.context import DeploymentContext
from artifacts.render import PROJECT_ROOT, ArtifactSet, render_artifacts

OUTPUT = PROJECT_ROOT / "docs" / "two-roles.svg"

WIDTH = 980
LINE = 16  # text line height
EXECUTION_COLOUR = "#b45309"
TASK_COLOUR = "#1d4ed8"
DENIED_COLOUR = "#b91c1c"


def short_resource(resource: str) -> str:
    """The readable tail of an ARN (``courier-dev-pending``, ``log-group:/ecs/courier-dev:*``)."""
    if resource == "*":
        return "* (the action has no resource)"
    return resource.split(":", 5)[-1] if resource.startswith("arn:") else resource


def statements(policy: dict[str, Any]) -> list[tuple[str, list[str], list[str]]]:
    """Each Allow statement as (Sid, actions, readable resources)."""
    found = []
    for statement in policy["Statement"]:
        actions = statement["Action"]
        resources = statement["Resource"]
        found.append(
            (
                statement.get("Sid", ""),
                [actions] if isinstance(actions, str) else list(actions),
                [
                    short_resource(r)
                    for r in ([resources] if isinstance(resources, str) else resources)
                ],
            )
        )
    return found


class Canvas:
    """A list of SVG elements with the few shapes the picture needs."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def box(self, x: int, y: int, w: int, h: int, colour: str, fill: str = "#ffffff") -> None:
        self.parts.append(
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="8" fill="{fill}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )

    def text(
        self,
        x: int,
        y: int,
        content: str,
        *,
        size: int = 13,
        weight: str = "normal",
        colour: str = "#111827",
        anchor: str = "start",
        mono: bool = False,
    ) -> None:
        family = (
            "ui-monospace, Menlo, Consolas, monospace" if mono else "Helvetica, Arial, sans-serif"
        )
        self.parts.append(
            f'<text x="{x}" y="{y}" font-family="{family}" font-size="{size}" '
            f'font-weight="{weight}" fill="{colour}" text-anchor="{anchor}">{escape(content)}</text>'
        )

    def arrow(
        self,
        x1: int,
        y1: int,
        x2: int,
        y2: int,
        colour: str,
        label: str = "",
        *,
        dashed: bool = False,
    ) -> None:
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        marker = "denied" if colour == DENIED_COLOUR else colour.lstrip("#")
        self.parts.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{colour}" stroke-width="2"'
            f'{dash} marker-end="url(#arrow-{marker})"/>'
        )
        if label:
            self.text((x1 + x2) // 2 + 6, (y1 + y2) // 2 - 4, label, size=12, colour=colour)

    def svg(self, height: int) -> str:
        markers = "".join(
            f'<marker id="arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{colour}"/></marker>'
            for name, colour in (
                (EXECUTION_COLOUR.lstrip("#"), EXECUTION_COLOUR),
                (TASK_COLOUR.lstrip("#"), TASK_COLOUR),
                ("denied", DENIED_COLOUR),
            )
        )
        body = "\n".join(self.parts)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="title">\n'
            f'<title id="title">The execution role and the task role of one ECS task</title>\n'
            f"<defs>{markers}</defs>\n"
            f'<rect width="{WIDTH}" height="{height}" fill="#f9fafb"/>\n{body}\n</svg>\n'
        )


def grant_box(
    canvas: Canvas, x: int, y: int, w: int, colour: str, grant: tuple[str, list[str], list[str]]
) -> int:
    """One policy statement as a box: its actions, then its resources. Returns the box height."""
    sid, actions, resources = grant
    lines = [*actions, *(f"on {r}" for r in resources)]
    height = 28 + LINE * len(lines)
    canvas.box(x, y, w, height, colour)
    canvas.text(x + 10, y + 18, sid, size=12, weight="bold", colour=colour)
    for i, line in enumerate(lines):
        canvas.text(
            x + 10,
            y + 36 + i * LINE,
            line,
            size=12,
            mono=True,
            colour="#374151" if line.startswith("on ") else "#111827",
        )
    return height


def denied_box(canvas: Canvas, x: int, y: int, w: int, title: str, lines: tuple[str, str]) -> int:
    """A box saying what a role may not touch. Returns the height it takes, margins included."""
    canvas.box(x, y, w, 64, DENIED_COLOUR, "#fef2f2")
    canvas.text(x + 10, y + 20, title, size=12, weight="bold", colour=DENIED_COLOUR)
    for i, line in enumerate(lines):
        canvas.text(x + 10, y + 38 + i * LINE, line, size=12)
    return 74 + 10


def draw(artifacts: ArtifactSet) -> str:
    """The whole picture as SVG text."""
    context = artifacts.context
    # The role names as the task definition names them: what ECS will actually use.
    execution_role = artifacts.task_definition["executionRoleArn"].rsplit("/", 1)[-1]
    task_role = artifacts.task_definition["taskRoleArn"].rsplit("/", 1)[-1]
    trust = artifacts.trust_policy["Statement"][0]
    principal = trust["Principal"]["Service"]
    conditions = [
        f"{key} {value}"
        for test in trust.get("Condition", {}).values()
        for key, value in test.items()
    ]
    canvas = Canvas()

    # Top: who may assume the roles at all.
    canvas.box(250, 16, 480, 44 + LINE * len(conditions), "#6b7280", "#f3f4f6")
    canvas.text(
        490,
        38,
        f"trust policy (both roles): {principal} may sts:AssumeRole",
        size=13,
        weight="bold",
        anchor="middle",
    )
    for i, condition in enumerate(conditions):
        canvas.text(490, 58 + i * LINE, f"only if {condition}", size=12, anchor="middle", mono=True)
    top = 80 + LINE * len(conditions)

    # Left column: the ECS agent and the execution role.
    left, right, column = 20, 510, 450
    canvas.box(left, top, column, 62, EXECUTION_COLOUR, "#fffbeb")
    canvas.text(
        left + 12,
        top + 22,
        "ECS agent (before and around the container)",
        size=14,
        weight="bold",
        colour=EXECUTION_COLOUR,
    )
    canvas.text(left + 12, top + 44, f"assumes executionRoleArn: {execution_role}", size=13)
    # Right column: the application and the task role.
    canvas.box(right, top, column, 62, TASK_COLOUR, "#eff6ff")
    canvas.text(
        right + 12,
        top + 22,
        "application (gunicorn + Flask in the container)",
        size=14,
        weight="bold",
        colour=TASK_COLOUR,
    )
    canvas.text(right + 12, top + 44, f"boto3 finds taskRoleArn: {task_role}", size=13)

    y = top + 62 + 34
    canvas.arrow(
        left + column // 2,
        top + 62,
        left + column // 2,
        y,
        EXECUTION_COLOUR,
        "execution role credentials",
    )
    canvas.arrow(
        right + column // 2,
        top + 62,
        right + column // 2,
        y,
        TASK_COLOUR,
        "credentials endpoint (169.254.170.2)",
    )

    left_y = right_y = y
    for grant in statements(artifacts.execution_policy):
        left_y += grant_box(canvas, left, left_y, column, EXECUTION_COLOUR, grant) + 10
    for grant in statements(artifacts.task_policy):
        right_y += grant_box(canvas, right, right_y, column, TASK_COLOUR, grant) + 10

    # What each role may not do: the separation the checker enforces (SD001, SD002).
    right_y += denied_box(
        canvas,
        right,
        right_y + 10,
        column,
        "denied to the task role",
        (
            "ECR, Logs, SSM, KMS: the agent's business,",
            "so the app can never read the other secrets",
        ),
    )
    left_y += denied_box(
        canvas,
        left,
        left_y + 10,
        column,
        "denied to the execution role",
        (
            "SQS and every other application call:",
            "the agent's credentials never do the app's work",
        ),
    )

    bottom = max(left_y, right_y) + 8
    canvas.text(
        WIDTH // 2,
        bottom + 14,
        f"drawn from policies/ and taskdef/ for {context.prefix} in {context.region} "
        "(python -m docs.diagram.two_roles)",
        size=11,
        colour="#6b7280",
        anchor="middle",
    )
    return canvas.svg(bottom + 26)


def main(argv: list[str] | None = None) -> int:
    """Write the SVG (default ``docs/two-roles.svg``)."""
    parser = argparse.ArgumentParser(prog="python -m docs.diagram.two_roles")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    args.output.write_text(draw(render_artifacts(DeploymentContext())), encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
