"""Helpers for tests that start real processes: free ports, readiness waits, a moto server."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from artifacts.context import DeploymentContext

CONTEXT = DeploymentContext()

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RUNNING_ON = re.compile(r"Running on (http://127\.0\.0\.1:\d+)")


@functools.cache
def refusing_port() -> int:
    """A port on 127.0.0.1 that refuses connections for as long as this process runs.

    A socket bound but never listening holds it: connecting is refused, and no other process
    (another test worker, a server a test starts) can take the port meanwhile.
    """
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    _held.append(holder)
    return holder.getsockname()[1]


_held: list[socket.socket] = []


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float = 20.0, process: subprocess.Popen | None = None) -> None:
    """Wait until ``url`` answers any HTTP status; fail early if ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback test URL
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any AWS setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECS_"))}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env.update(extra)
    return env


def made_up_keys() -> dict[str, str]:
    """Static keys invented for one run, as the environment names them (moto takes any)."""
    return {
        "AWS_ACCESS_KEY_ID": "AKIA" + secrets.token_hex(8).upper(),
        "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30),
    }


def create_service_queues(sqs: Any) -> tuple[str, str]:
    """Create the service's pending and confirmed queues; their URLs."""
    pending, confirmed = (sqs.create_queue(QueueName=n)["QueueUrl"] for n in CONTEXT.queue_names)
    return pending, confirmed


def service_env(
    aws_endpoint: str, pending_url: str, confirmed_url: str, port: int, **extra: str
) -> dict[str, str]:
    """gunicorn's environment for the service on ``127.0.0.1:port`` with AWS at ``aws_endpoint``.

    No credential source but what ``extra`` gives (static keys, a container credentials URI).
    """
    return clean_env(
        AWS_REGION=CONTEXT.region,
        AWS_ENDPOINT_URL=aws_endpoint,
        AWS_EC2_METADATA_DISABLED="true",
        PENDING_QUEUE_URL=pending_url,
        CONFIRMED_QUEUE_URL=confirmed_url,
        PORT=str(port),
        BIND_HOST="127.0.0.1",
        **extra,
    )


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout``; always reaps the process."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def moto_server_process() -> Iterator[str]:
    """A moto server in its own process (its state is apart from in-process ``mock_aws``).

    moto picks its own free port (``-p 0``) and reports it, so parallel test workers never race
    for one.
    """
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
            env=clean_env(),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            endpoint = _reported_endpoint(log, process)
            wait_for_http(f"{endpoint}/moto-api/", process=process)
            yield endpoint
        finally:
            stop(process)


def _reported_endpoint(log: IO[str], process: subprocess.Popen, timeout: float = 20.0) -> str:
    """The URL werkzeug logs once it listens (`` * Running on http://127.0.0.1:PORT``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log.seek(0)
        found = RUNNING_ON.search(log.read())
        if found:
            return found[1]
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited with {process.returncode} before listening")
        time.sleep(0.05)
    raise TimeoutError(f"moto server did not report its port within {timeout} s")


GUNICORN = [
    str(Path(sys.executable).parent / "gunicorn"),
    "--config",
    "docker/gunicorn.conf.py",
    "service.wsgi:app",
]


def start_gunicorn(env: dict[str, str], log: Path) -> subprocess.Popen:
    """gunicorn as the container runs it, with ``env``; stdout and stderr go to ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            GUNICORN, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
