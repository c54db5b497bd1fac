"""``python -m ecslocal``: bad input is a clear message and an exit status, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from artifacts.render import PROJECT_ROOT
from ecslocal.__main__ import build_parser
from tests.support.processes import clean_env


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecslocal", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=clean_env(COLUMNS="400"),  # help text on one line per option
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--port", "70000"], "is not a port number"),
        (["run", "--port", "http"], "is not a port number"),
        (["demo", "--credentials-duration", "60"], "is not a session duration"),
        (["run", "--stop-timeout", "-1"], "is not a number of seconds"),
        (["run", "--stop-timeout", "nan"], "is not a number of seconds"),
        (["demo", "--ready-timeout", "inf"], "is not a number of seconds"),
        (["run", "--service", "Courier_App"], "service name 'Courier_App'"),
        (["demo", "--env=Dev"], "env name 'Dev'"),
        (["run", "--region", "mars-1"], "region 'mars-1' is not an AWS region"),
        (["run", "--taskdef", "/nonexistent/taskdef.json"], "no such file"),
        (["run", "--dockerfile", "/nonexistent/Dockerfile"], "no such file"),
        (["run", "--policies-dir", "/nonexistent/policies"], "no such directory"),
        (["endpoints", "--aws-endpoint", "http://127.0.0.1:9", "--region", "x"], "region 'x'"),
        (["endpoints"], "--aws-endpoint"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_bad_arguments_are_refused_with_exit_2(args, message):
    out = run_cli(*args)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert "moto server at" not in out.stdout  # refused before anything started


def test_a_bad_demo_port_in_the_environment_is_a_usage_error_of_run_only():
    env = clean_env(COLUMNS="400", DEMO_PORT="http")
    run = subprocess.run(
        [sys.executable, "-m", "ecslocal", "run"],
        capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=60,
    )  # fmt: skip
    assert run.returncode == 2
    assert "'http' is not a port number" in run.stderr
    assert "Traceback" not in run.stderr
    other = subprocess.run(
        [sys.executable, "-m", "ecslocal", "env", "--state-file", "/nonexistent/state.json"],
        capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=60,
    )  # fmt: skip
    assert other.returncode == 1
    assert "no local runtime is running" in other.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--listen", "nowhere"], "is not HOST:PORT"),
        (["--listen", "127.0.0.1:99999"], "is not HOST:PORT"),
        (["--task-id", "not-hex"], "is not 32 lowercase hex digits"),
    ],
)
def test_bad_endpoints_options_are_refused_before_any_aws_call(args, message):
    out = run_cli("endpoints", "--aws-endpoint", "http://127.0.0.1:9", *args)
    assert out.returncode == 2
    assert message in out.stderr


def test_env_without_a_running_demo_says_so_and_exits_1(tmp_path):
    out = run_cli("env", "--state-file", str(tmp_path / "state.json"))
    assert out.returncode == 1
    assert "no local runtime is running" in out.stderr
    assert out.stdout == ""


def test_a_malformed_task_definition_is_a_clear_start_error(tmp_path):
    taskdef = tmp_path / "taskdef.json"
    taskdef.write_text("{not json", encoding="utf-8")
    out = run_cli(
        "run", "--port", "0", "--taskdef", str(taskdef),
        "--state-file", str(tmp_path / "state.json"),
    )  # fmt: skip
    assert out.returncode == 1
    assert out.stderr.startswith(f"ecslocal: {taskdef}")
    assert "Traceback" not in out.stderr + out.stdout
    assert "moto server at" not in out.stdout  # found before anything started


def test_every_command_is_listed_in_the_help():
    help_text = build_parser().format_help()
    for command in ("run", "demo", "env", "tour", "endpoints", "moto-server"):
        assert command in help_text
    run_help = run_cli("run", "--help").stdout
    assert "`python -m ecslocal moto-server`" in run_help  # --aws-endpoint says which server works
