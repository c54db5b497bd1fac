"""A local runtime in a process of its own (``python -m ecslocal run``), for the tour and tests.

moto's state is process-global, so every runtime that must not share AWS with another runs in its
own process. The runtime reports readiness by writing its state file.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from artifacts.render import PROJECT_ROOT


class RuntimeProcessError(RuntimeError):
    """The runtime process exited or did not become ready; the message quotes its last output."""


class RuntimeProcess:
    """One ``python -m ecslocal run`` child with its own state file and output file."""

    def __init__(
        self,
        workdir: Path,
        args: Sequence[str] = (),
        name: str = "runtime",
        extra_env: Mapping[str, str] | None = None,
        command: str = "run",
    ) -> None:
        self.workdir = workdir
        self.command = command  # "demo" prints the API key and the console's login link
        self.extra_env = dict(extra_env or {})
        self.name = name
        self.state_file = workdir / "state.json"
        self.output_file = workdir / "output.txt"
        self.args = tuple(args)
        self.process: subprocess.Popen[bytes] | None = None
        self.state: dict[str, Any] = {}

    def start(self) -> RuntimeProcess:
        """Start the runtime (none of the caller's AWS settings reach it); returns itself."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECS_"))}
        env["PYTHONUNBUFFERED"] = "1"
        env.update(self.extra_env)
        with self.output_file.open("wb") as output:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ecslocal",
                    self.command,
                    "--port",
                    "0",
                    "--console-port",
                    "0",
                    "--state-file",
                    str(self.state_file),
                    *self.args,
                ],
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def output(self) -> str:
        """Everything the runtime has printed so far."""
        try:
            return self.output_file.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def _tail(self, lines: int = 15) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def wait_ready(self, timeout: float = 90.0) -> dict[str, Any]:
        """Wait for the state file to say ready (the container is healthy); the state."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state_file.exists():
                with contextlib.suppress(ValueError):
                    state = json.loads(self.state_file.read_text(encoding="utf-8"))
                    if state.get("ready"):
                        self.state = state
                        return self.state
            if self.process.poll() is not None:
                raise RuntimeProcessError(
                    f"{self.name} exited with {self.process.returncode} before it was ready:\n"
                    f"{self._tail()}"
                )
            time.sleep(0.1)
        raise RuntimeProcessError(
            f"{self.name} was not ready within {timeout:g} s:\n{self._tail()}"
        )

    def wait_exit(self, timeout: float = 90.0) -> int:
        """Wait for the process to end by itself; its exit status."""
        assert self.process is not None
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeProcessError(
                f"{self.name} still runs after {timeout:g} s:\n{self._tail()}"
            ) from None

    def send(self, signum: int) -> None:
        """Send ``signum`` to the runtime, if it still runs."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signum)

    def stop(self, timeout: float = 60.0) -> int | None:
        """SIGTERM (the runtime stops its task like ECS), SIGKILL if it hangs; the exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.send(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode
