"""The tour's steps, run one at a time from the console, in the background, each on its own.

Steps 1-4 run against the console's own task; steps 5-7 need a task set up differently (static keys,
a task role without ``sqs:DeleteMessage``, an execution role with ``ssm:GetParameter``), so each
starts a fresh runtime of its own for the step and stops it afterwards, as the tour does.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecslocal import tour
from ecslocal.runtime_process import RuntimeProcess, RuntimeProcessError

IDLE, RUNNING, PASSED, FAILED = "idle", "running", "allowed/denied as expected", "not as expected"


def _fresh(args: Callable[[Path], tuple[str, ...]], label: str, step: Callable) -> Callable:
    """A step that runs on a fresh runtime started with ``args(workdir)`` (and the main one's)."""

    def run(
        _main: dict[str, Any], out: tour.StepReport, workdir: Path, common: tuple[str, ...]
    ) -> None:
        runtime = RuntimeProcess(workdir / "runtime", (*common, *args(workdir)), label).start()
        out.say(f"(started a fresh runtime: {label})")
        try:
            if step is tour.step_missing_get_parameters:
                step(runtime, out)
            else:
                step(runtime.wait_ready(), out)
        finally:
            runtime.stop()  # not tour.stop_all: it sets signal handlers, main thread only

    return run


def _on_main(step: Callable) -> Callable:
    return lambda main, out, _workdir, _common: step(main, out)


STEP_RUNNERS: tuple[
    Callable[[dict[str, Any], tour.StepReport, Path, tuple[str, ...]], None], ...
] = (
    _on_main(tour.step_whoami),
    _on_main(tour.step_send_receive_confirm),
    _on_main(tour.step_task_role_cannot_read_secret),
    _on_main(tour.step_execution_role_cannot_use_queues),
    _fresh(
        lambda _w: ("--static-keys",), "the task with static keys", tour.step_static_keys_shadow
    ),
    _fresh(
        lambda w: ("--policies-dir", str(tour.policies_without_delete(w / "policies"))),
        "the task role without sqs:DeleteMessage",
        tour.step_missing_delete,
    ),
    _fresh(
        lambda w: (
            "--policies-dir",
            str(tour.policies_with_singular_get_parameter(w / "policies")),
        ),
        "the execution role with ssm:GetParameter",
        tour.step_missing_get_parameters,
    ),
)


@dataclass
class StepStatus:
    """One step as the page shows it."""

    number: int
    title: str
    status: str = IDLE
    lines: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "status": self.status,
            "lines": list(self.lines),
        }


class StepAlreadyRunning(RuntimeError):
    """The step is running already."""


class TourSteps:
    """Runs a step in a thread on request; keeps each step's last outcome."""

    def __init__(
        self, main_state: Callable[[], dict[str, Any]], runtime_args: tuple[str, ...] = ()
    ) -> None:
        """``runtime_args``: what every fresh runtime gets too (the main runtime's engine)."""
        self._main_state = main_state
        self._runtime_args = runtime_args
        self._lock = threading.Lock()
        self.steps = [StepStatus(n, title) for n, title in enumerate(tour.STEPS, start=1)]

    def to_json(self) -> list[dict[str, Any]]:
        with self._lock:
            return [step.to_json() for step in self.steps]

    def start(self, number: int) -> None:
        """Start step ``number`` (1-based, already validated) in the background."""
        status = self.steps[number - 1]
        with self._lock:
            if status.status == RUNNING:
                raise StepAlreadyRunning(f"step {number} is already running")
            status.status, status.lines = RUNNING, []
        threading.Thread(
            target=self._run, args=(status,), name=f"console-step-{number}", daemon=True
        ).start()

    def _run(self, status: StepStatus) -> None:
        report = tour.StepReport()
        workdir = Path(tempfile.mkdtemp(prefix="ecslocal-step-"))
        try:
            STEP_RUNNERS[status.number - 1](self._main_state(), report, workdir, self._runtime_args)
            outcome, why = PASSED, ""
        except (tour.StepFailed, RuntimeProcessError) as exc:
            outcome, why = FAILED, str(exc)
        except Exception as exc:  # shown on the page; the console keeps running
            outcome, why = FAILED, f"{type(exc).__name__}: {exc}"
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        with self._lock:
            status.lines = report.lines + ([why] if why else [])
            status.status = outcome
