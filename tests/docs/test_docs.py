"""The README and docs/ stay true: links resolve, the picture is current, each thing is documented once.

"Documented" means a table row whose first cell names the thing: `make <target>` for make targets,
`CODE` for identity warnings, CODE for checker rules. Exactly once across README.md and docs/, so a
reader never finds two descriptions that can drift apart.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest

from artifacts.context import DeploymentContext
from artifacts.render import render_artifacts
from docs.diagram.two_roles import OUTPUT as DIAGRAM
from docs.diagram.two_roles import draw
from tests.support.processes import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
PAGES = [README, *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
MAKEFILES = [PROJECT_ROOT / "Makefile", *sorted((PROJECT_ROOT / "mk").glob("*.mk"))]

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)


def prose(path: Path) -> str:
    """The page without its fenced code blocks (a `#` comment there is no heading)."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"<[^>]+>", "", heading).replace("`", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor a page has, with GitHub's -1, -2 suffixes for repeated headings."""
    seen: Counter[str] = Counter()
    found = set()
    for match in HEADING.finditer(prose(path)):
        slug = github_slug(match.group(2))
        found.add(slug if not seen[slug] else f"{slug}-{seen[slug]}")
        seen[slug] += 1
    return found


def relative_links(path: Path) -> list[str]:
    return [
        target
        for target in LINK.findall(prose(path))
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto:
    ]


def table_first_cells(pattern: str) -> Counter[str]:
    """How often each first table cell matching ``pattern`` appears across the pages."""
    cells: Counter[str] = Counter()
    for page in PAGES:
        for line in prose(page).splitlines():
            match = re.match(r"^\|\s*" + pattern + r"\s*\|", line)
            if match:
                cells[match.group(1)] += 1
    return cells


def make_targets() -> set[str]:
    """The targets `make help` lists (those with a `## ` description)."""
    targets = set()
    for makefile in MAKEFILES:
        targets.update(re.findall(r"^([a-z][a-z-]*):.*## ", makefile.read_text(), re.MULTILINE))
    return targets


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(PROJECT_ROOT).as_posix())
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        file_part, _, anchor = target.partition("#")
        destination = (page.parent / unquote(file_part)).resolve() if file_part else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and anchor not in anchors(destination):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, f"{page.name}: {broken}"


def test_pages_link_to_each_other() -> None:
    # The link check above must have something to check: the README reaches every docs page.
    linked = {target.partition("#")[0] for target in relative_links(README)}
    pages = {f"docs/{page.name}" for page in PAGES if page != README}
    assert pages <= linked, f"docs pages the README does not link: {sorted(pages - linked)}"


def test_slugs_follow_github() -> None:
    assert github_slug("Deploy to ECS") == "deploy-to-ecs"
    assert (
        github_slug("The bridges (`ecslocal/motocompat.py`)") == "the-bridges-ecslocalmotocompatpy"
    )
    assert github_slug("Which identity? (`/whoami` and more)") == "which-identity-whoami-and-more"


def test_readme_is_short_and_shows_the_picture() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 200
    assert "](docs/two-roles.svg)" in text
    assert "make demo" in text and "make test" in text


def test_picture_is_drawn_from_the_current_artifacts() -> None:
    expected = draw(render_artifacts(DeploymentContext()))
    assert DIAGRAM.read_text(encoding="utf-8") == expected, "run `make docs` and commit the SVG"


def test_every_make_target_is_documented_exactly_once() -> None:
    rows = table_first_cells(r"`make ([a-z][a-z-]*)[^`]*`")
    targets = make_targets()
    assert {t for t in targets if rows[t] != 1} == set(), {t: rows[t] for t in targets}
    assert set(rows) <= targets, f"documented targets that do not exist: {set(rows) - targets}"


def test_every_identity_warning_is_documented_exactly_once() -> None:
    from service.identity.rules import WARNING_RULES

    rows = table_first_cells(r"`([A-Z][A-Z_]+[A-Z])`")
    codes = {rule.code for rule in WARNING_RULES}
    assert {code: rows[code] for code in codes if rows[code] != 1} == {}


def test_every_checker_rule_is_documented_exactly_once() -> None:
    from checker.engine import RULE_FAILED
    from checker.ruleset import RULES

    rows = table_first_cells(r"([A-Z]{2}\d{3})")
    codes = {rule.code for rule in RULES} | {RULE_FAILED}
    assert {code: rows[code] for code in codes if rows[code] != 1} == {}
    assert set(rows) <= codes, f"documented rules that do not exist: {set(rows) - codes}"
