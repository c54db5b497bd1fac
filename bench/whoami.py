"""Benchmark of the /whoami report path: the cached identity against STS on every call.

One run starts a moto server in its own process, points the real credential chain at it (static
keys in the environment) and measures, side by side and in alternating rounds:

- ``checker.report()``: the identity is cached per access key, no AWS call per report;
- ``checker.report(refresh=True)``: the same code with the cache bypassed, one STS call per report;
- ``GET /whoami`` through the Flask app (when ``service.app.create_app`` exists).

Each call includes formatting the report as the JSON the route returns. The table shows
throughput, per-call latency (p50/p95), STS calls made, and the tracemalloc peak over a fixed
number of calls; the ratios compare the cached checker with the baseline. No pass/fail thresholds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from artifacts.context import DeploymentContext
from service.aws import build_clients
from service.identity import CredentialChecker, Expectations, report_to_dict
from tests.support.processes import moto_server_process

MEMORY_CALLS = 100


@dataclass
class Mode:
    """One way of producing the /whoami document, and what was measured for it."""

    name: str
    call: Callable[[], object]
    budget_seconds: float
    latencies_ns: list[int] = field(default_factory=list)
    elapsed_ns: int = 0
    sts_calls: int = 0  # while timed (the memory pass is not counted)
    peak_bytes: int = 0

    def run_for(self, seconds: float) -> None:
        """Call repeatedly for about ``seconds``, timing each call."""
        deadline = time.perf_counter_ns() + int(seconds * 1e9)
        started = time.perf_counter_ns()
        while True:
            before = time.perf_counter_ns()
            self.call()
            after = time.perf_counter_ns()
            self.latencies_ns.append(after - before)
            if after >= deadline:
                break
        self.elapsed_ns += time.perf_counter_ns() - started

    def measure_memory(self, calls: int) -> None:
        """The tracemalloc peak over ``calls`` calls (traced separately: tracing slows calls)."""
        sts_calls = self.sts_calls
        tracemalloc.start()
        try:
            for _ in range(calls):
                self.call()
            self.peak_bytes = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            self.sts_calls = sts_calls

    @property
    def throughput(self) -> float:
        return len(self.latencies_ns) / (self.elapsed_ns / 1e9)

    def percentile_us(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ns)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] / 1e3

    @property
    def median_us(self) -> float:
        return statistics.median(self.latencies_ns) / 1e3


@contextmanager
def isolated_environment(endpoint: str, context: DeploymentContext) -> Iterator[None]:
    """Static keys for moto, no developer ~/.aws or instance metadata; restored afterwards."""
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory() as home:
        for var in list(os.environ):
            if var.startswith(("AWS_", "ECS_")):
                del os.environ[var]
        local = DeploymentContext(sqs_endpoint=endpoint)
        os.environ.update(
            {
                "HOME": home,
                "AWS_CONFIG_FILE": os.path.join(home, "config"),
                "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "credentials"),
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_ACCESS_KEY_ID": "AKIABENCHMARKKEY0001",
                "AWS_SECRET_ACCESS_KEY": "benchmark-secret",
                "AWS_REGION": context.region,
                "PENDING_QUEUE_URL": local.queue_url(context.pending_queue_name),
                "CONFIRMED_QUEUE_URL": local.queue_url(context.confirmed_queue_name),
            }
        )
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)


def count_sts_calls(clients: object, mode: Mode) -> None:
    """Count real GetCallerIdentity calls with a botocore event hook."""

    def counted(**_: object) -> None:
        mode.sts_calls += 1

    clients.sts.meta.events.register("before-call.sts.GetCallerIdentity", counted)  # type: ignore[attr-defined]


def checker_modes(context: DeploymentContext, scale: float) -> list[Mode]:
    """The cached checker and the baseline, each on its own clients (one session each)."""
    expectations = Expectations.from_env(os.environ)
    modes = []
    for name, refresh, budget in (
        ("checker.report(), cached", False, 1.0),
        ("checker.report(), STS each call", True, 2.0),
    ):
        clients = build_clients(context.region)
        checker = CredentialChecker(clients, expectations, environ=os.environ)

        def call(checker: CredentialChecker = checker, refresh: bool = refresh) -> object:
            return json.dumps(report_to_dict(checker.report(refresh=refresh)))

        mode = Mode(name, call, budget * scale)
        count_sts_calls(clients, mode)
        modes.append(mode)
    return modes


def app_mode(scale: float) -> Mode | None:
    """``GET /whoami`` through the app, or None when the app is not there."""
    try:
        from service.app import create_app
        from service.logs import configure_logging
        from service.state import EXTENSION
    except ImportError:
        return None
    # The app logs one JSON line per request: keep the cost, drop the output.
    configure_logging(stream=open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the run
    app = create_app()
    client = app.test_client()

    def call() -> object:
        response = client.get("/whoami")
        if response.status_code != 200:
            raise RuntimeError(f"GET /whoami answered {response.status_code}: {response.text}")
        return response.data

    mode = Mode("GET /whoami (Flask app)", call, 1.0 * scale)
    count_sts_calls(app.extensions[EXTENSION].clients, mode)
    return mode


def print_table(modes: list[Mode], rounds: int, endpoint: str) -> None:
    print(f"/whoami report path against a moto server at {endpoint}, {rounds} alternating rounds")
    print(f"(memory: tracemalloc peak over {MEMORY_CALLS} calls, traced separately)\n")
    header = f"{'mode':<34} {'calls':>7} {'calls/s':>10} {'p50 µs':>10} {'p95 µs':>10} {'STS calls':>10} {'peak KiB':>9}"
    print(header)
    print("-" * len(header))
    for mode in modes:
        print(
            f"{mode.name:<34} {len(mode.latencies_ns):>7} {mode.throughput:>10.0f} "
            f"{mode.median_us:>10.1f} {mode.percentile_us(0.95):>10.1f} {mode.sts_calls:>10} "
            f"{mode.peak_bytes / 1024:>9.1f}"
        )
    cached, baseline = modes[0], modes[1]
    print("\ncached checker against STS on each call:")
    print(f"  throughput   {cached.throughput / baseline.throughput:8.1f} times higher")
    print(f"  p50 latency  {baseline.median_us / cached.median_us:8.1f} times lower")
    print(
        f"  p95 latency  {baseline.percentile_us(0.95) / cached.percentile_us(0.95):8.1f} times lower"
    )
    print(f"  memory peak  {baseline.peak_bytes / max(cached.peak_bytes, 1):8.1f} times lower")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.whoami", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply each mode's time budget (default 1)"
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.scale <= 0:
        parser.error("--rounds must be at least 1 and --scale above 0")

    context = DeploymentContext()
    with moto_server_process() as endpoint, isolated_environment(endpoint, context):
        modes = checker_modes(context, args.scale)
        app = app_mode(args.scale)
        if app is not None:
            modes.append(app)
        for mode in modes:  # warm-up: first STS answer, imports, connection pools
            mode.call()
            mode.sts_calls = 0
        for _ in range(args.rounds):
            for mode in modes:
                mode.run_for(mode.budget_seconds / args.rounds)
        for mode in modes:
            mode.measure_memory(MEMORY_CALLS)
        print_table(modes, args.rounds, endpoint)
        if app is None:
            print("\n(service.app.create_app not found: GET /whoami not measured)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
