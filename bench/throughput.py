"""Throughput figures of the service as it runs in production, side by side in one run.

gunicorn with docker/gunicorn.conf.py, the local runtime's moto (``python -m ecslocal.moto_server``)
in its own process, and the load generator in a third (``--load``). AWS calls pass through a small
loopback relay that counts STS calls. Figures, merged into bench/results.json:

- ``whoami_vs_healthz``: ``/whoami`` requests/s over ``/healthz`` requests/s (goal >= 0.9);
- ``sts_calls_per_worker``: STS calls while serving 1,000 ``/whoami``, per worker (goal <= 1);
- ``send_vs_direct``: messages/s through ``POST /messages`` over boto3's ``send_message`` made
  directly against the same moto (goal >= 0.8);
- ``batch_vs_single``: messages/s through ``/messages/batch`` over ``/messages`` (goal >= 5);
- ``demo_start_seconds``: ``python -m ecslocal demo`` until its ``/healthz`` answers (goal < 5).

Queues are purged between rounds (moto's send slows as a queue grows). Rounds alternate, and each
figure is the median of its rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.results import Figure, format_table, record
from tests.support.processes import made_up_keys
from tests.support.relay import Relay

ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
WORKERS = 2
CONCURRENCY = 8
REQUESTS = 400
ROUNDS = 3


# -- the load generator (its own process) ------------------------------------------------------


def _call(url: str, method: str = "GET", body: bytes | None = None) -> int:
    request = urllib.request.Request(  # noqa: S310 - loopback
        url, data=body, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _rate(work: Any, count: int) -> float:
    """Calls per second of ``work`` made ``count`` times by CONCURRENCY threads."""
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        statuses = list(pool.map(lambda _: work(), range(count)))
    elapsed = time.monotonic() - started
    bad = [status for status in statuses if status not in (200, 201)]
    if bad:
        raise SystemExit(f"load: {len(bad)} requests failed ({sorted(set(bad))})")
    return count / elapsed


def load(url: str, what: str, count: int) -> float:
    """Requests (or messages) per second for one kind of call."""
    one = json.dumps({"body": "x" * 100}).encode()
    ten = json.dumps({"messages": [{"body": "x" * 100}] * 10}).encode()
    if what == "healthz":
        return _rate(lambda: _call(f"{url}/healthz"), count)
    if what == "whoami":
        return _rate(lambda: _call(f"{url}/whoami"), count)
    if what == "send":
        return _rate(lambda: _call(f"{url}/messages", "POST", one), count)
    if what == "batch":
        return 10 * _rate(lambda: _call(f"{url}/messages/batch", "POST", ten), count // 10)
    if what == "direct":
        import boto3

        sqs = boto3.client("sqs", region_name=REGION, endpoint_url=url)
        queue = os.environ["PENDING_QUEUE_URL"]

        def send() -> int:
            sqs.send_message(QueueUrl=queue, MessageBody="x" * 100, MessageAttributes={})
            return 200

        return _rate(send, count)
    raise SystemExit(f"load: unknown kind {what!r}")


# -- the run -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if _call(url) == 200:
                return time.monotonic() - started
        except OSError:
            threading.Event().wait(0.05)
    raise SystemExit(f"bench: {url} did not answer within {seconds} s")


def _demo_start_seconds() -> float:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECS_"))}
    started = time.monotonic()
    demo = subprocess.Popen(  # the demo as `make demo` runs it
        [sys.executable, "-m", "ecslocal", "demo", "--port", str(port)],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", 60)
        return time.monotonic() - started
    finally:
        demo.terminate()
        demo.wait(timeout=60)


def drain(sqs: Any, queue: str) -> None:
    """Receive and delete every message (PurgeQueue is allowed once a minute)."""
    while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ]
        sqs.delete_message_batch(QueueUrl=queue, Entries=entries)


def run() -> list[Figure]:
    """Start moto, the relay and gunicorn; measure in alternating rounds; return the figures."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECS_"))}
    env["PYTHONPATH"] = str(ROOT)
    moto = subprocess.Popen(
        [sys.executable, "-m", "ecslocal.moto_server", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    gunicorn = None
    try:
        moto_endpoint = moto.stdout.readline().strip()  # type: ignore[union-attr]
        relay = Relay(int(moto_endpoint.rsplit(":", 1)[1]), b"GetCallerIdentity")
        endpoint = f"http://127.0.0.1:{relay.port}"
        keys = made_up_keys()
        import boto3

        sqs = boto3.client(
            "sqs",
            region_name=REGION,
            endpoint_url=endpoint,
            aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        )
        pending = sqs.create_queue(QueueName="courier-bench-pending")["QueueUrl"]
        confirmed = sqs.create_queue(QueueName="courier-bench-confirmed")["QueueUrl"]
        port = _free_port()
        service_env = {
            **env,
            **keys,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
            "PENDING_QUEUE_URL": pending,
            "CONFIRMED_QUEUE_URL": confirmed,
            "PORT": str(port),
            "BIND_HOST": "127.0.0.1",
            "WEB_CONCURRENCY": str(WORKERS),
        }
        gunicorn = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--config",
                "docker/gunicorn.conf.py",
                "service.wsgi:app",
            ],
            cwd=ROOT,
            env=service_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        _wait_for(f"{url}/healthz", 25)

        def measure(what: str, target: str, count: int = REQUESTS) -> float:
            result = subprocess.run(
                [sys.executable, "-m", "bench.throughput", "--load", target, what, str(count)],
                cwd=ROOT,
                env=service_env,
                capture_output=True,
                text=True,
                check=True,
                timeout=300,
            )
            if what in ("send", "direct", "batch"):
                drain(sqs, pending)
            return float(result.stdout)

        # STS calls are counted from the workers' start (their start-up identity line included).
        rounds: dict[str, list[float]] = {k: [] for k in ("h", "w", "s", "d", "b")}
        whoami_served = 0
        for _ in range(ROUNDS):
            rounds["h"].append(measure("healthz", url))
            rounds["w"].append(measure("whoami", url))
            whoami_served += REQUESTS
            rounds["s"].append(measure("send", url))
            rounds["d"].append(measure("direct", endpoint))
            rounds["b"].append(measure("batch", url))
        sts_per_1000 = relay.count * 1000 / whoami_served
    finally:
        for process in (gunicorn, moto):
            if process is not None:
                process.terminate()
                process.wait(timeout=40)

    median = {key: statistics.median(values) for key, values in rounds.items()}
    figures = [
        Figure("whoami_vs_healthz", round(median["w"] / median["h"], 3), "ratio", ">= 0.9"),
        Figure("sts_calls_per_worker", round(sts_per_1000 / WORKERS, 2), "calls", "<= 1"),
        Figure("send_vs_direct", round(median["s"] / median["d"], 3), "ratio", ">= 0.8"),
        Figure("batch_vs_single", round(median["b"] / median["s"], 2), "ratio", ">= 5"),
    ]
    figures.append(Figure("demo_start_seconds", round(_demo_start_seconds(), 2), "s", "< 5"))
    return figures


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.throughput`` measures and records; ``--load`` is the load process."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--load", nargs=3, metavar=("URL", "KIND", "COUNT"))
    args = parser.parse_args(argv)
    if args.load:
        url, what, count = args.load
        print(load(url, what, int(count)))
        return 0
    document = record(run())
    print(format_table(document))  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
