"""Benchmark a bad day: gunicorn as configured for production against an AWS that never answers.

Figures (merged into bench/results.json): ``hung_aws_503_seconds`` (how long ``POST /messages``
takes to fail), ``healthz_p99_under_hung_aws_ms`` (``/healthz`` while 100 requests wait on AWS) and
``worker_rss_mib`` (a worker's resident memory after it). The load runs in a process of its own
(``--load URL``); the hung endpoint is a loopback socket that accepts and never answers.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.results import Figure, format_table, record
from tests.support.processes import made_up_keys

ROOT = Path(__file__).resolve().parents[1]
WAITING_REQUESTS = 100
HEALTHZ_PROBES = 200
ACCOUNT = "123456789012"


def _request(url: str, data: bytes | None = None, key: str = "") -> int:
    headers = {"Content-Type": "application/json", "X-Api-Key": key}
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def load(url: str, key: str) -> dict[str, float]:
    """The load generator: one failing send timed, then /healthz under 100 waiting sends."""
    started = time.monotonic()
    _request(f"{url}/messages", b'{"body": "x"}', key)
    failed_in = time.monotonic() - started
    latencies: list[float] = []
    with ThreadPoolExecutor(max_workers=WAITING_REQUESTS + 1) as pool:
        waiting = [
            pool.submit(_request, f"{url}/messages", b'{"body": "x"}', key)
            for _ in range(WAITING_REQUESTS)
        ]
        for _ in range(HEALTHZ_PROBES):
            probe_started = time.monotonic()
            _request(f"{url}/healthz")
            latencies.append(time.monotonic() - probe_started)
        for future in waiting:
            future.result()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    return {"hung_aws_503_seconds": failed_in, "healthz_p99_under_hung_aws_ms": p99 * 1000}


def _hung_endpoint() -> tuple[socket.socket, list[socket.socket]]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(512)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return server, held


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run() -> list[Figure]:
    """Start the hung endpoint and gunicorn, run the load in its own process, measure."""
    server, held = _hung_endpoint()
    endpoint = f"http://127.0.0.1:{server.getsockname()[1]}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    key = secrets.token_urlsafe(24)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECS_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        AWS_REGION="us-east-1",
        AWS_ENDPOINT_URL=endpoint,
        **made_up_keys(),
        AWS_EC2_METADATA_DISABLED="true",
        PENDING_QUEUE_URL=f"{endpoint}/{ACCOUNT}/courier-bench-pending",
        CONFIRMED_QUEUE_URL=f"{endpoint}/{ACCOUNT}/courier-bench-confirmed",
        API_KEY=key,
        PORT=str(port),
        BIND_HOST="127.0.0.1",
    )
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    process = subprocess.Popen(
        [gunicorn, "--config", "docker/gunicorn.conf.py", "service.wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline:
            try:
                if _request(f"{url}/healthz") == 200:
                    break
            except OSError:
                threading.Event().wait(0.1)
        result = subprocess.run(
            [sys.executable, "-m", "bench.hung_aws", "--load", url],
            cwd=ROOT,
            env={**env, "BENCH_API_KEY": key},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        measured = json.loads(result.stdout)
        workers = subprocess.run(
            ["pgrep", "-P", str(process.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        rss = max((_rss_mib(int(pid)) for pid in workers), default=0.0)
    finally:
        process.terminate()
        process.wait(timeout=40)
        server.close()
        for connection in held:
            connection.close()
    return [
        Figure("hung_aws_503_seconds", round(measured["hung_aws_503_seconds"], 2), "s", "<= 10"),
        Figure(
            "healthz_p99_under_hung_aws_ms",
            round(measured["healthz_p99_under_hung_aws_ms"], 1),
            "ms",
            "<= 1000",
        ),
        Figure("worker_rss_mib", round(rss, 1), "MiB"),
    ]


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.hung_aws`` measures and records; ``--load URL`` is the load process."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--load", metavar="URL", help="run only the load generator against URL")
    args = parser.parse_args(argv)
    if args.load:
        print(json.dumps(load(args.load, os.environ.get("BENCH_API_KEY", ""))))
        return 0
    document = record(run())
    print(format_table(document))  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
