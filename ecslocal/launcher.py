"""Run a container's command as a subprocess and stop it the way ECS stops a container.

The process gets its own process group, so stopping reaches every process it started: SIGTERM to the
group, ``stopTimeout`` seconds for it to exit, then SIGKILL to the group (what ``docker stop`` does).
Each line it writes to stdout or stderr is handed to ``on_output``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from ecslocal.dockerfile import ImageConfig
from ecslocal.procs import group_members

DEFAULT_STOP_TIMEOUT = 30  # ECS's default when a container definition has no stopTimeout


class LaunchError(RuntimeError):
    """The container's command cannot be determined or started."""


def container_command(definition: Mapping[str, Any], image: ImageConfig) -> tuple[str, ...]:
    """The argv ECS would run: entryPoint and command from the task definition, else the image's.

    A task definition ``entryPoint`` replaces the image's ENTRYPOINT and drops its CMD, as Docker does.
    """
    entrypoint = definition.get("entryPoint")
    command = definition.get("command")
    if entrypoint:
        argv = tuple(entrypoint) + tuple(command or ())
    else:
        argv = image.entrypoint + (tuple(command) if command else image.cmd)
    if not argv:
        raise LaunchError(
            "the container has no command: the task definition sets none and the image has no CMD"
        )
    return argv


# Systemd socket activation, which gunicorn honours: the listening socket is fd 3 and LISTEN_PID
# must be the server's own pid, which only a shim that then execs the server can know in advance.
SD_LISTEN_FDS_START = 3
_ACTIVATE = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); "
    "os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS='1'); "
    "os.execvp(sys.argv[2], sys.argv[2:])"
)


def socket_activated(argv: Sequence[str], fd: int) -> tuple[str, ...]:
    """``argv`` run with the listening socket ``fd`` handed over (systemd socket activation)."""
    return (sys.executable, "-c", _ACTIVATE, str(fd), *argv)


def task_user(definition: Mapping[str, Any]) -> tuple[int, int] | None:
    """The container definition's numeric ``user`` (``uid`` or ``uid:gid``); None without one or
    for a user name (only the image's /etc/passwd could resolve it)."""
    user = str(definition.get("user") or "")
    uid, _, gid = user.partition(":")
    if not uid.isdigit() or (gid and not gid.isdigit()):
        return None
    return int(uid), int(gid or uid)


def why_not_switch_user(interpreter: Path, tree: Path) -> str | None:
    """Why the process engine cannot run the command as another uid here; None when it can.

    It must be root, and any user must be able to run the interpreter (a Python under a private
    home, such as pyenv's in /root, cannot) and read the project tree.
    """
    if os.geteuid() != 0:
        return "the runtime does not run as root"
    for path, need in ((interpreter.resolve(), 0o005), (tree.resolve(), 0o005)):
        for part in (path, *path.parents):
            mode = part.stat().st_mode
            bits = need if part == path else 0o001
            if mode & bits != bits:
                return f"other users cannot reach {part}"
    return None


class ContainerProcess:
    """One container's process (group) and the threads that read its output.

    With ``listen_fd`` the process gets that already bound socket instead of binding its port itself,
    so nothing can take the port between choosing it and listening on it.
    """

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        cwd: Path,
        on_output: Callable[[str, str], None],
        listen_fd: int | None = None,
        run_as: tuple[int, int] | None = None,
    ) -> None:
        self.argv = tuple(argv)
        self._run_as = run_as
        self._listen_fd = listen_fd
        self._env = dict(env)
        self._cwd = cwd
        self._on_output = on_output
        self._process: subprocess.Popen[bytes] | None = None
        self._readers: list[threading.Thread] = []

    @property
    def pid(self) -> int:
        if self._process is None:
            raise LaunchError("the container has not been started")
        return self._process.pid

    def start(self) -> int:
        """Start the command; its pid (also its process group id)."""
        try:
            argv, pass_fds = self.argv, ()
            if self._listen_fd is not None:
                argv, pass_fds = socket_activated(self.argv, self._listen_fd), (self._listen_fd,)
            self._process = subprocess.Popen(
                argv,
                pass_fds=pass_fds,
                **_as_user(self._run_as),
                env=self._env,
                cwd=self._cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise LaunchError(f"cannot start {self.argv[0]!r}: {exc.strerror}") from None
        for name, pipe in (("stdout", self._process.stdout), ("stderr", self._process.stderr)):
            assert pipe is not None
            reader = threading.Thread(
                target=self._read, args=(name, pipe), name=f"ecslocal-{name}", daemon=True
            )
            reader.start()
            self._readers.append(reader)
        return self._process.pid

    def _read(self, stream: str, pipe: IO[bytes]) -> None:
        with pipe:
            for raw in iter(pipe.readline, b""):
                self._on_output(stream, raw.decode("utf-8", errors="replace").rstrip("\r\n"))

    def poll(self) -> int | None:
        """The exit code, or None while it runs."""
        return None if self._process is None else self._process.poll()

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait up to ``timeout`` seconds; the exit code, or None if it still runs."""
        if self._process is None:
            return None
        try:
            return self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, stop_timeout: float = DEFAULT_STOP_TIMEOUT) -> int | None:
        """SIGTERM the group, wait ``stop_timeout`` seconds, SIGKILL the group; the exit code.

        Afterwards no process of the group is left, and all output has been handed on.
        """
        if self._process is None:
            return None
        pgid = self._process.pid
        if self._process.poll() is None:
            _signal_group(pgid, signal.SIGTERM)
            if self.wait(stop_timeout) is None:
                _signal_group(pgid, signal.SIGKILL)
                self._process.wait()
        # Children that outlived the main process (or ignored SIGTERM) go too.
        if group_members(pgid):
            _signal_group(pgid, signal.SIGKILL)
        for reader in self._readers:
            reader.join(timeout=5)
        return self._process.returncode

    @property
    def killed(self) -> bool:
        """True when the main process ended by SIGKILL."""
        return self._process is not None and self._process.returncode == -signal.SIGKILL


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def _as_user(run_as: tuple[int, int] | None) -> dict[str, Any]:
    """``subprocess.Popen`` arguments that run the child as ``(uid, gid)`` with no other groups."""
    if run_as is None:
        return {}
    return {"user": run_as[0], "group": run_as[1], "extra_groups": []}
