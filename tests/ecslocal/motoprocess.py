"""``python -m ecslocal.moto_server`` in its own process, for tests that need the external-server mode."""

from __future__ import annotations

import contextlib
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator

from tests.support.processes import PROJECT_ROOT, clean_env, stop


def read_line(process: subprocess.Popen, timeout: float = 30.0) -> str:
    """The next line the process prints on stdout; fail if it exits or stays silent."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=0.2):
                line = process.stdout.readline()
                if line:
                    return line.strip()
            if process.poll() is not None:
                stderr = process.stderr.read() if process.stderr else ""
                raise RuntimeError(f"exited with {process.returncode}: {stderr[-2000:]}")
    raise TimeoutError(f"no line on stdout within {timeout} s")


@contextlib.contextmanager
def bridged_moto_processes(count: int = 1) -> Iterator[list[tuple[str, subprocess.Popen]]]:
    """Start ``count`` bridged moto server modules at once; yield [(endpoint, process)]; stop all."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "ecslocal.moto_server", "--port", "0"],
            cwd=PROJECT_ROOT,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    try:
        yield [(read_line(process), process) for process in processes]
    finally:
        for process in processes:
            stop(process)
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
