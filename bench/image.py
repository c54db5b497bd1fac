"""Benchmark of the real image: its size, a warm-cache build, and start-to-healthy per engine.

- image size: ``docker image inspect`` of the image the local runtime runs;
- warm-cache build: ``docker build`` of an unchanged context (every layer cached), median of 3;
- start to healthy: from starting ``python -m ecslocal run`` to its state file saying ready (the
  container is healthy), for ``--engine docker`` and ``--engine process`` in alternating rounds.

Figures are printed and recorded in bench/results.json; nothing is asserted. Without a Docker
engine only the process engine is measured.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.results import Figure, format_table, record
from ecslocal.engines import DOCKER_ENGINE, ENGINES, PROCESS_ENGINE
from ecslocal.image import (
    LOCAL_IMAGE,
    base_image,
    build_command,
    context_hash,
    engine_answers,
    ensure_image,
)
from ecslocal.runtime_process import RuntimeProcess

MIB = 2**20


def image_size_mib(image: str = LOCAL_IMAGE) -> float:
    """The image's size as docker reports it, in MiB."""
    result = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Size}}", image],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.strip()) / MIB


def warm_build_seconds(rounds: int) -> float:
    """Median seconds of ``docker build`` with every layer cached."""
    base = base_image()
    command = build_command(LOCAL_IMAGE, base, context_hash(base))
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def start_to_healthy_seconds(engine: str, workdir: Path) -> float:
    """Seconds from starting a runtime on ``engine`` to its container being healthy."""
    runtime = RuntimeProcess(workdir, ("--engine", engine), name=f"runtime ({engine})")
    started = time.perf_counter()
    runtime.start()
    try:
        runtime.wait_ready(timeout=180)
        return time.perf_counter() - started
    finally:
        runtime.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.image", description=__doc__)
    parser.add_argument("--rounds", type=int, default=2, help="start-to-healthy rounds per engine")
    args = parser.parse_args(argv)
    engines = list(ENGINES)
    figures: list[Figure] = []
    if engine_answers():
        ensure_image(LOCAL_IMAGE)
        figures.append(Figure("image_size", round(image_size_mib(), 1), "MiB"))
        figures.append(Figure("image_build_warm", round(warm_build_seconds(3), 2), "s"))
    else:
        print("no Docker engine answers: measuring ENGINE=process only", file=sys.stderr)
        engines.remove(DOCKER_ENGINE)
    samples: dict[str, list[float]] = {engine: [] for engine in engines}
    with tempfile.TemporaryDirectory(prefix="bench-image-") as tmp:
        for round_number in range(args.rounds):
            for engine in engines:  # alternating, so both see the same machine load
                workdir = Path(tmp) / f"{engine}-{round_number}"
                samples[engine].append(start_to_healthy_seconds(engine, workdir))
    for engine, values in samples.items():
        figures.append(Figure(f"start_to_healthy_{engine}", round(min(values), 2), "s"))
    if DOCKER_ENGINE in samples:
        ratio = min(samples[DOCKER_ENGINE]) / min(samples[PROCESS_ENGINE])
        figures.append(Figure("start_to_healthy_docker_vs_process", round(ratio, 2), "x"))
    document = record(figures)
    print(format_table({f.name: document[f.name] for f in figures}))  # type: ignore[misc]
    return 0


if __name__ == "__main__":
    sys.exit(main())
