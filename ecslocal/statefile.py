"""The running demo's state file: what ``make demo-env``, the tour and the tests read.

It holds secrets (the API key, the authorization token, local moto keys), so it is written with mode
0600 in a 0700 directory, replaced atomically, and removed when the runtime stops.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import tempfile
from pathlib import Path
from typing import Any

from artifacts.render import PROJECT_ROOT
from ecslocal.environment import ISOLATION

DEFAULT_STATE_FILE = PROJECT_ROOT / ".demo" / "state.json"


class StateFileError(RuntimeError):
    """No usable state file: no runtime is running (or it is from one that died)."""


def write_state(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` (mode 0600), replacing any earlier file atomically."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".state-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def remove_state(path: Path, pid: int) -> None:
    """Remove ``path`` if it belongs to the runtime with ``pid`` (a newer runtime's stays)."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if state.get("pid") == pid:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_state(path: Path) -> dict[str, Any]:
    """The state of the runtime that is running now; :class:`StateFileError` when none is."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StateFileError(
            f"no local runtime is running (no {path}); start one with `make demo`"
        ) from None
    except (OSError, ValueError) as exc:
        raise StateFileError(f"{path} cannot be read: {exc}") from None
    pid = state.get("pid")
    if not isinstance(pid, int) or not _alive(pid):
        raise StateFileError(
            f"{path} is left from a runtime that is no longer running; start one with `make demo`"
        )
    return state


def running_pid(path: Path) -> int | None:
    """The pid of a live runtime that owns ``path``, or None."""
    try:
        return int(read_state(path)["pid"])
    except (StateFileError, KeyError, TypeError, ValueError):
        return None


# The variables a shell needs to act "inside the task", in the order they are printed.
TASK_SHELL_VARIABLES = (
    ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "credentials_full_uri"),
    ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "authorization_token"),
    ("ECS_CONTAINER_METADATA_URI_V4", "metadata_uri"),
    ("AWS_ENDPOINT_URL", "aws_endpoint"),
    ("AWS_REGION", "region"),
    ("AWS_DEFAULT_REGION", "region"),
    ("API_KEY", "api_key"),
    ("SERVICE_URL", "service_url"),
    ("CONSOLE_URL", "console_url"),
)
# Set to nothing so the shell's own keys and profile cannot win over the task role.
TASK_SHELL_UNSET = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
)


def export_lines(state: dict[str, Any]) -> list[str]:
    """Shell lines that make a shell see what the container sees (for ``eval "$(make demo-env)"``)."""
    lines = [f"unset {' '.join(TASK_SHELL_UNSET)}"]
    lines += [
        f"export {name}={shlex.quote(str(state[key]))}"
        for name, key in TASK_SHELL_VARIABLES
        if state.get(key) is not None  # a runtime without a console has no console_url
    ]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in ISOLATION.items()]
    return lines
