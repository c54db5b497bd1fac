"""``python -m ecslocal tour``: every step comes out as the tour says it should."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from artifacts.render import PROJECT_ROOT
from ecslocal.procs import read_stat
from ecslocal.tour import EXIT_INTERRUPTED, STEPS
from tests.ecslocal.motoprocess import read_line
from tests.support.processes import clean_env, stop

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


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (field 4 of /proc/<pid>/stat)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                children.append(int(entry.name))
    return children


def gone(pid: int) -> bool:
    stat = read_stat(pid)
    return stat is None or stat.state == "Z"


@pytest.mark.parametrize("how", ["sigterm to the tour", "ctrl-c to the terminal"])
def test_an_interrupted_tour_stops_every_runtime_it_started(how):
    tour = subprocess.Popen(
        [sys.executable, "-m", "ecslocal", "tour"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
        env=clean_env(PYTHONUNBUFFERED="1"),
        start_new_session=True,  # its own process group, like a shell job
    )
    runtimes: list[int] = []
    try:
        while not read_line(tour).startswith("Step 1/"):  # printed once every runtime started
            pass
        runtimes = children_of(tour.pid)
        assert len(runtimes) == 4
        if how == "sigterm to the tour":
            tour.send_signal(signal.SIGTERM)
        else:
            os.killpg(tour.pid, signal.SIGINT)
        out, err = tour.communicate(timeout=120)
        left = [pid for pid in runtimes if not gone(pid)]
    finally:
        stop(tour)
        for pid in runtimes:  # whatever the outcome, leave nothing running
            if not gone(pid):
                os.kill(pid, signal.SIGTERM)
    assert left == []
    assert tour.returncode == EXIT_INTERRUPTED, out + err
    assert "Interrupted: stopping every runtime." in out
    assert "Traceback" not in out + err
