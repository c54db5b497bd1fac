"""The Dockerfile: hadolint-clean, multi-stage, locked dependencies, and in step with the task
definition (user, health check) and the command the local runtime runs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from artifacts.context import DeploymentContext
from artifacts.render import DOCKERFILE, PROJECT_ROOT, render_artifacts

EXPECTED_CMD = ["gunicorn", "--config", "docker/gunicorn.conf.py", "service.wsgi:app"]


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    result, pending = [], ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, rest = (pending + stripped).partition(" ")
        result.append((keyword.upper(), rest.strip()))
        pending = ""
    return result


def stages() -> list[list[tuple[str, str]]]:
    split: list[list[tuple[str, str]]] = []
    for keyword, args in instructions():
        if keyword == "FROM":
            split.append([])
        if split:
            split[-1].append((keyword, args))
    return split


@pytest.fixture(scope="module")
def container() -> dict:
    return render_artifacts(DeploymentContext()).container


@pytest.mark.integration
def test_hadolint_passes() -> None:
    result = subprocess.run(
        [str(PROJECT_ROOT / ".venv" / "bin" / "hadolint"), str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_cmd_is_one_exec_form_line_the_local_runtime_can_run() -> None:
    lines = [line for line in DOCKERFILE.read_text().splitlines() if line.startswith("CMD")]
    assert len(lines) == 1
    assert json.loads(lines[0].removeprefix("CMD").strip()) == EXPECTED_CMD
    assert (PROJECT_ROOT / EXPECTED_CMD[2]).is_file()
    assert (PROJECT_ROOT / "service" / "wsgi.py").is_file()


def test_multi_stage_on_one_base_argument_defaulting_to_a_pinned_slim_python() -> None:
    builder, final = stages()
    bases = [builder[0][1].split()[0], final[0][1].split()[0]]
    assert bases == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    args = [a for k, a in instructions() if k == "ARG" and a.startswith("PYTHON_IMAGE=")]
    assert len(args) == 1
    image, _, tag = args[0].removeprefix("PYTHON_IMAGE=").partition(":")
    assert image == "python" and "slim" in tag and tag.split("@")[0] != "latest"


def test_dependencies_come_from_the_lock_with_hashes_in_the_builder_only() -> None:
    builder, final = stages()
    runs = " ".join(args for keyword, args in builder if keyword == "RUN")
    assert "--require-hashes" in runs and "runtime.txt" in runs and "-m venv /opt/venv" in runs
    assert ("COPY", "--from=builder /opt/venv /opt/venv") in final
    final_runs = " ".join(args for keyword, args in final if keyword == "RUN")
    for tool in ("pip ", "apt-get", "gcc", "build-essential"):
        assert tool not in final_runs


def test_final_stage_environment_workdir_and_copies() -> None:
    final = stages()[-1]
    env = " ".join(args for keyword, args in final if keyword == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "PYTHONUNBUFFERED=1" in env
    assert ("WORKDIR", "/app") in final
    copies = [args for keyword, args in final if keyword == "COPY"]
    assert (
        "service/ service/" in copies
        and "docker/gunicorn.conf.py docker/gunicorn.conf.py" in copies
    )


def test_user_is_numeric_non_root_and_matches_the_task_definition(container: dict) -> None:
    users = [args for keyword, args in stages()[-1] if keyword == "USER"]
    assert users == [container["user"]]
    uid = users[0].split(":")[0]
    assert uid.isdigit() and int(uid) != 0


def test_healthcheck_matches_the_task_definition(container: dict) -> None:
    (check,) = [args for keyword, args in stages()[-1] if keyword == "HEALTHCHECK"]
    options, _, command = check.partition(" CMD ")
    assert json.loads(command) == container["healthCheck"]["command"][1:]
    task_check = container["healthCheck"]
    for option, key in (
        ("interval", "interval"),
        ("timeout", "timeout"),
        ("start-period", "startPeriod"),
        ("retries", "retries"),
    ):
        suffix = "" if key == "retries" else "s"
        assert f"--{option}={task_check[key]}{suffix}" in options


def test_dockerignore_lets_in_only_what_the_image_copies() -> None:
    lines = [
        line.strip()
        for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed == {"requirements/runtime.txt", "service/", "docker/gunicorn.conf.py"}


def test_exposed_port_and_default_port_match_the_task_definition(container: dict) -> None:
    final = stages()[-1]
    (port,) = {mapping["containerPort"] for mapping in container["portMappings"]}
    assert [args for keyword, args in final if keyword == "EXPOSE"] == [str(port)]
    env = " ".join(args for keyword, args in final if keyword == "ENV").split()
    assert f"PORT={port}" in env
    assert {"name": "PORT", "value": str(port)} in container["environment"]
