"""Health checks as ECS runs them: CMD / CMD-SHELL, start period, retries."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ecslocal.health import HealthCheckError, HealthCheckSpec, HealthTracker, run_check
from ecslocal.task import HEALTHY, UNHEALTHY, UNKNOWN


def spec(**kwargs) -> HealthCheckSpec:
    values = {"argv": ("true",), "interval": 10, "timeout": 5, "retries": 3, "start_period": 20}
    values.update(kwargs)
    return HealthCheckSpec(**values)


def test_task_definition_fields_and_ecs_defaults_are_read():
    parsed = HealthCheckSpec.from_definition({"command": ["CMD", "python", "-m", "x"]})
    assert parsed == HealthCheckSpec(("python", "-m", "x"), 30, 5, 3, 0)
    shell = HealthCheckSpec.from_definition(
        {"command": ["CMD-SHELL", "curl -f localhost || exit 1"], "interval": 5, "startPeriod": 1}
    )
    assert shell.argv == ("/bin/sh", "-c", "curl -f localhost || exit 1")
    assert (shell.interval, shell.start_period) == (5, 1)


@pytest.mark.parametrize("command", [[], ["CMD"], ["NONE"], ["python", "x"], ["SHELL", "x"]])
def test_malformed_health_check_commands_are_refused(command):
    with pytest.raises(HealthCheckError, match="CMD or CMD-SHELL"):
        HealthCheckSpec.from_definition({"command": command})


def test_failures_in_the_start_period_do_not_count():
    tracker = HealthTracker(spec(retries=1), started=0)
    assert tracker.record(False, now=5) == UNKNOWN
    assert tracker.record(False, now=19) == UNKNOWN
    assert tracker.record(False, now=21) == UNHEALTHY


def test_retries_consecutive_failures_make_it_unhealthy_and_one_success_heals():
    tracker = HealthTracker(spec(start_period=0), started=0)
    assert tracker.record(True, now=1) == HEALTHY
    assert tracker.record(False, now=2) == HEALTHY
    assert tracker.record(False, now=3) == HEALTHY
    assert tracker.record(False, now=4) == UNHEALTHY
    assert tracker.record(True, now=5) == HEALTHY


def test_after_a_first_success_failures_count_even_inside_the_start_period():
    tracker = HealthTracker(spec(retries=1), started=0)
    tracker.record(True, now=1)
    assert tracker.record(False, now=2) == UNHEALTHY


def test_checks_run_at_the_start_interval_until_the_first_success():
    tracker = HealthTracker(spec(interval=15), started=0)
    assert tracker.next_delay(0, start_interval=1) == 1
    tracker.record(True, now=1)
    assert tracker.next_delay(1, start_interval=1) == 15


def test_a_check_reports_exit_code_and_output(tmp_path: Path):
    result = run_check(
        spec(argv=(sys.executable, "-c", "print('ready'); raise SystemExit(3)")), {}, tmp_path
    )
    assert (result.passed, result.exit_code, result.output) == (False, 3, "ready")


def test_a_check_that_hangs_is_killed_at_its_timeout(tmp_path: Path):
    result = run_check(
        spec(argv=(sys.executable, "-c", "import time; time.sleep(60)"), timeout=0.3), {}, tmp_path
    )
    assert not result.passed
    assert "timed out" in result.output


def test_a_check_that_cannot_run_fails_with_a_reason(tmp_path: Path):
    result = run_check(spec(argv=("/nonexistent/check",)), {}, tmp_path)
    assert not result.passed
    assert "cannot run health check" in result.output
