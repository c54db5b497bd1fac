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
        (["endpoints"], "--aws-endpoint"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_bad_arguments_are_refused_with_exit_2(args, message):
    out = run_cli(*args)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr


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


def test_a_missing_task_definition_file_is_a_clear_start_error(tmp_path):
    out = run_cli(
        "run", "--port", "0", "--taskdef", str(tmp_path / "nope.json"),
        "--state-file", str(tmp_path / "state.json"),
    )  # fmt: skip
    assert out.returncode == 1
    assert "nope.json: no such file" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_every_command_is_listed_in_the_help():
    help_text = build_parser().format_help()
    for command in ("run", "demo", "env", "tour", "endpoints", "moto-server"):
        assert command in help_text
    run_help = run_cli("run", "--help").stdout
    assert "`python -m ecslocal moto-server`" in run_help  # --aws-endpoint says which server works
