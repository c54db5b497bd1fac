"""The demo's state file and the export lines made from it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from ecslocal.statefile import StateFileError, export_lines, read_state, remove_state, write_state

STATE = {
    "pid": os.getpid(),
    "credentials_full_uri": "http://127.0.0.1:1/v2/credentials/x",
    "authorization_token": "tok'en",
    "metadata_uri": "http://127.0.0.1:1/v4/y",
    "aws_endpoint": "http://127.0.0.1:2",
    "region": "us-east-1",
    "api_key": "k$y",
    "service_url": "http://127.0.0.1:8080",
}


def test_state_file_is_private_and_round_trips(tmp_path):
    path = tmp_path / "demo" / "state.json"
    write_state(path, STATE)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert read_state(path) == STATE


def test_no_state_file_means_no_runtime(tmp_path):
    with pytest.raises(StateFileError, match="no local runtime is running"):
        read_state(tmp_path / "state.json")


def test_a_state_file_of_a_dead_runtime_is_not_used(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    path = tmp_path / "state.json"
    write_state(path, {**STATE, "pid": int(dead.stdout)})
    with pytest.raises(StateFileError, match="no longer running"):
        read_state(path)


def test_only_the_owning_runtime_removes_the_file(tmp_path):
    path = tmp_path / "state.json"
    write_state(path, STATE)
    remove_state(path, os.getpid() + 1)
    assert path.exists()
    remove_state(path, os.getpid())
    assert not path.exists()


def test_export_lines_make_a_shell_see_what_the_container_sees():
    script = "\n".join(export_lines(STATE)) + "\nenv\n"
    env = {"PATH": os.environ["PATH"], "AWS_ACCESS_KEY_ID": "caller", "AWS_PROFILE": "prod"}
    out = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, check=True
    )
    seen = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    assert seen["AWS_CONTAINER_AUTHORIZATION_TOKEN"] == "tok'en"
    assert seen["API_KEY"] == "k$y"
    assert seen["AWS_ENDPOINT_URL"] == STATE["aws_endpoint"]
    assert seen["AWS_DEFAULT_REGION"] == "us-east-1"
    assert "AWS_ACCESS_KEY_ID" not in seen
    assert "AWS_PROFILE" not in seen
