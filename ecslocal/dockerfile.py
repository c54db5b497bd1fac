"""Read what a container runs from a Dockerfile: the final stage's ENTRYPOINT, CMD, ENV and WORKDIR.

Only what the local runtime needs is read. The process engine runs the image's command from the
project directory, without building the image (``ENGINE=docker`` runs the image itself).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

_DIRECTIVE_RE = re.compile(r"^#\s*(\w+)\s*=\s*(.+?)\s*$")


class DockerfileError(ValueError):
    """The Dockerfile cannot be read or does not say what the container runs."""


@dataclass(frozen=True)
class ImageConfig:
    """The parts of an image's configuration the runtime uses."""

    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = ""

    @property
    def argv(self) -> tuple[str, ...]:
        """ENTRYPOINT followed by CMD, as Docker combines them."""
        return self.entrypoint + self.cmd


@dataclass
class _Stage:
    name: str
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = ""
    cmd_set_here: bool = False


def _logical_lines(text: str, escape: str) -> list[tuple[int, str]]:
    """Join continuation lines and drop comments, keeping the first line number of each."""
    lines: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comment lines inside a continuation are skipped by Docker too
        if not pending:
            start = number
        if stripped.endswith(escape):
            pending.append(stripped[: -len(escape)])
            continue
        pending.append(stripped)
        lines.append((start, " ".join(part for part in pending if part)))
        pending = []
    if pending:
        lines.append((start, " ".join(part for part in pending if part)))
    return lines


def _escape_char(text: str) -> str:
    for raw in text.splitlines():
        match = _DIRECTIVE_RE.match(raw.strip())
        if not match:
            break
        if match[1].lower() == "escape":
            return match[2]
    return "\\"


def parse_command(value: str, source: str) -> tuple[str, ...]:
    """An exec-form (JSON array) or shell-form instruction argument as an argv."""
    value = value.strip()
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
            return tuple(parsed)
        # Docker treats a malformed JSON array as shell form; say so rather than guess.
        raise DockerfileError(
            f"{source}: {value!r} is neither a JSON array of strings nor shell form"
        )
    if not value:
        return ()
    return ("/bin/sh", "-c", value)


def _parse_env(value: str, source: str) -> dict[str, str]:
    try:
        words = shlex.split(value, posix=True)
    except ValueError as exc:
        raise DockerfileError(f"{source}: ENV {value!r}: {exc}") from None
    if words and "=" not in words[0]:
        # Legacy form: ENV KEY value with spaces
        key, _, rest = value.strip().partition(" ")
        return {key: rest.strip()}
    env = {}
    for word in words:
        key, sep, val = word.partition("=")
        if not sep or not key:
            raise DockerfileError(f"{source}: ENV {value!r}: expected KEY=value pairs")
        env[key] = val
    return env


def parse_dockerfile(text: str, source: str = "Dockerfile") -> ImageConfig:
    """The image configuration the final stage of ``text`` produces."""
    stages: list[_Stage] = []
    for number, line in _logical_lines(text, _escape_char(text)):
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        where = f"{source}:{number}"
        if instruction == "FROM":
            words = rest.split()
            words = [w for w in words if not w.startswith("--")]
            if not words:
                raise DockerfileError(f"{where}: FROM without an image")
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else ""
            base = next((s for s in stages if s.name and s.name == words[0]), None)
            stage = _Stage(name=name)
            if base is not None:  # FROM an earlier stage inherits its configuration
                stage.entrypoint, stage.cmd = base.entrypoint, base.cmd
                stage.env, stage.workdir = dict(base.env), base.workdir
            stages.append(stage)
            continue
        if not stages:
            if instruction == "ARG":
                continue
            raise DockerfileError(f"{where}: {instruction} before the first FROM")
        stage = stages[-1]
        if instruction == "CMD":
            stage.cmd = parse_command(rest, where)
            stage.cmd_set_here = True
        elif instruction == "ENTRYPOINT":
            stage.entrypoint = parse_command(rest, where)
            if not stage.cmd_set_here:  # Docker drops a CMD inherited from the base stage
                stage.cmd = None
        elif instruction == "ENV":
            stage.env.update(_parse_env(rest, where))
        elif instruction == "WORKDIR":
            stage.workdir = rest.strip()
    if not stages:
        raise DockerfileError(f"{source}: no FROM instruction")
    final = stages[-1]
    return ImageConfig(
        entrypoint=final.entrypoint or (),
        cmd=final.cmd or (),
        env=dict(final.env),
        workdir=final.workdir,
    )


def read_dockerfile(path: Path) -> ImageConfig:
    """Read and parse the Dockerfile at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DockerfileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DockerfileError(f"{path}: cannot read: {exc}") from None
    return parse_dockerfile(text, str(path))
