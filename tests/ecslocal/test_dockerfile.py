"""Reading what the container runs from a Dockerfile."""

from __future__ import annotations

import pytest

from artifacts.render import DOCKERFILE
from ecslocal.dockerfile import DockerfileError, parse_dockerfile, read_dockerfile
from ecslocal.launcher import LaunchError, container_command


def test_exec_form_cmd_of_the_final_stage_is_the_argv():
    config = parse_dockerfile(
        'FROM python:3.11 AS build\nCMD ["wrong"]\n'
        'FROM python:3.11-slim\nWORKDIR /app\nENV PYTHONUNBUFFERED=1 A="b c"\n'
        'CMD ["gunicorn", "--config", "gunicorn.conf.py", "service.wsgi:app"]\n'
    )
    assert config.argv == ("gunicorn", "--config", "gunicorn.conf.py", "service.wsgi:app")
    assert config.env == {"PYTHONUNBUFFERED": "1", "A": "b c"}
    assert config.workdir == "/app"


def test_continuation_lines_and_comments_are_joined_like_docker():
    config = parse_dockerfile(
        '# syntax=docker/dockerfile:1\nFROM scratch\n# a comment\nCMD ["a", \\\n'
        '# inside\n     "b"]\n'
    )
    assert config.cmd == ("a", "b")


def test_shell_form_runs_through_sh():
    assert parse_dockerfile("FROM x\nCMD echo hi there\n").cmd == ("/bin/sh", "-c", "echo hi there")


def test_entrypoint_and_cmd_combine_and_a_stage_inherits_from_its_base_stage():
    config = parse_dockerfile(
        'FROM x AS base\nENTRYPOINT ["tini", "--"]\nCMD ["serve"]\nENV A=1\nFROM base\nENV B=2\n'
    )
    assert config.argv == ("tini", "--", "serve")
    assert config.env == {"A": "1", "B": "2"}


def test_entrypoint_drops_a_cmd_inherited_from_the_base_stage():
    config = parse_dockerfile('FROM x AS base\nCMD ["serve"]\nFROM base\nENTRYPOINT ["run"]\n')
    assert config.argv == ("run",)


def test_legacy_env_form_is_read():
    assert parse_dockerfile("FROM x\nENV GREETING hello world\n").env == {"GREETING": "hello world"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no FROM"),
        ('CMD ["a"]\n', "before the first FROM"),
        ('FROM x\nCMD ["a", 1]\n', "neither a JSON array"),
        ("FROM x\nENV =oops\n", "KEY=value"),
    ],
)
def test_malformed_dockerfiles_are_reported_with_the_line(text, problem):
    with pytest.raises(DockerfileError, match=problem):
        parse_dockerfile(text)


def test_missing_dockerfile_is_a_clear_error(tmp_path):
    with pytest.raises(DockerfileError, match="no such file"):
        read_dockerfile(tmp_path / "Dockerfile")


def test_task_definition_command_wins_over_the_image_cmd():
    image = parse_dockerfile('FROM x\nENTRYPOINT ["tini", "--"]\nCMD ["serve"]\n')
    assert container_command({"command": ["other"]}, image) == ("tini", "--", "other")
    assert container_command({}, image) == ("tini", "--", "serve")
    assert container_command({"entryPoint": ["sh"], "command": ["-c", "x"]}, image) == (
        "sh",
        "-c",
        "x",
    )


def test_no_command_anywhere_is_a_launch_error():
    with pytest.raises(LaunchError, match="no command"):
        container_command({}, parse_dockerfile("FROM x\n"))


def test_the_shipped_dockerfile_names_a_command_that_exists_in_the_project():
    config = read_dockerfile(DOCKERFILE)
    assert config.argv
    # Every relative path the command names must exist from the project root, where it runs.
    for word in config.argv:
        if "/" in word and not word.startswith("/"):
            assert (DOCKERFILE.parent.parent / word).exists(), word
