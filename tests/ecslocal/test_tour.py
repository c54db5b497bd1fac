"""``python -m ecslocal tour``: every step comes out as the tour says it should."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from artifacts.render import PROJECT_ROOT
from ecslocal.tour import STEPS
from tests.support.processes import clean_env

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tour() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecslocal", "tour"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=clean_env(),
        timeout=240,
    )


def step_text(output: str, number: int) -> str:
    match = re.search(
        rf"^Step {number}/{len(STEPS)}: .*?(?=^Step |\Z|^\d+ of )", output, re.S | re.M
    )
    assert match, output
    return match[0]


@pytest.mark.parametrize(
    ("number", "evidence"),
    [
        (1, "credentials source: container-role"),
        (2, "POST /messages/confirm -> 200"),
        (3, "is not authorized to perform: ssm:GetParameters"),
        (4, "is not authorized to perform: sqs:SendMessage"),
        (5, "STATIC_KEYS_SHADOW_TASK_ROLE"),
        (6, "came back after the visibility timeout"),
        (7, "ResourceInitializationError"),
    ],
)
def test_each_tour_step_comes_out_as_expected(tour, number, evidence):
    text = step_text(tour.stdout, number)
    assert "-> as expected" in text, text
    assert evidence in text


def test_the_tour_exits_zero_only_after_every_step_passed(tour):
    assert tour.returncode == 0, tour.stdout[-3000:] + tour.stderr[-3000:]
    assert f"{len(STEPS)} of {len(STEPS)} steps came out as expected." in tour.stdout
    assert "Traceback" not in tour.stdout + tour.stderr


def test_step_six_names_the_missing_action_in_the_403(tour):
    text = step_text(tour.stdout, 6)
    assert "-> 403" in text
    assert "sqs:DeleteMessage" in text


def test_step_seven_reads_like_the_ecs_stopped_reason(tour):
    text = step_text(tour.stdout, 7)
    assert re.search(
        r"ResourceInitializationError: unable to pull secrets or registry auth: .*"
        r"AccessDeniedException: User: arn:aws:sts::\d{12}:assumed-role/[\w-]+-execution/[0-9a-f]{32} "
        r"is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:",
        text,
    ), text
