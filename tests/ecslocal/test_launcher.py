"""Running the container's command and stopping it like ECS: SIGTERM, stopTimeout, SIGKILL."""

from __future__ import annotations

import os
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from ecslocal.launcher import ContainerProcess, LaunchError
from ecslocal.procs import group_members

pytestmark = pytest.mark.integration


def start(tmp_path: Path, script: str, ready_marker: str = "ready"):
    lines: list[tuple[str, str]] = []
    ready = threading.Event()

    def on_output(stream: str, line: str) -> None:
        lines.append((stream, line))
        if line == ready_marker:
            ready.set()

    process = ContainerProcess(
        [sys.executable, "-c", textwrap.dedent(script)],
        {"PATH": os.environ["PATH"]},
        tmp_path,
        on_output,
    )
    process.start()
    assert ready.wait(20), lines
    return process, lines


def test_output_lines_of_both_streams_are_handed_on(tmp_path):
    process, lines = start(
        tmp_path,
        """
        import sys
        print("to stdout", flush=True)
        print("to stderr", file=sys.stderr, flush=True)
        print("ready", flush=True)
        """,
    )
    assert process.wait(20) == 0
    process.stop(5)  # joins the readers: every line has been handed on
    assert ("stdout", "to stdout") in lines
    assert ("stderr", "to stderr") in lines


def test_a_process_that_honours_sigterm_exits_by_itself(tmp_path):
    process, lines = start(
        tmp_path,
        """
        import os, signal, sys, time
        signal.signal(signal.SIGTERM, lambda *a: (os.write(1, b"graceful\\n"), sys.exit(0)))
        print("ready", flush=True)
        time.sleep(60)
        """,
    )
    assert process.stop(20) == 0, lines
    assert not process.killed
    assert ("stdout", "graceful") in lines


def test_a_process_that_ignores_sigterm_is_killed_after_the_stop_timeout(tmp_path):
    process, _ = start(
        tmp_path,
        """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ready", flush=True)
        time.sleep(60)
        """,
    )
    process.stop(0.5)
    assert process.killed


def test_no_process_of_the_group_is_left_after_stop(tmp_path):
    process, _lines = start(
        tmp_path,
        """
        import subprocess, sys, time, signal
        child = subprocess.Popen([sys.executable, "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"])
        print(f"child {child.pid}", flush=True)
        print("ready", flush=True)
        time.sleep(60)
        """,
    )
    pgid = process.pid
    assert len(group_members(pgid)) == 2
    process.stop(5)
    assert group_members(pgid) == []


def test_a_command_that_does_not_exist_is_a_launch_error(tmp_path):
    process = ContainerProcess(["/nonexistent/binary"], {}, tmp_path, lambda s, line: None)
    with pytest.raises(LaunchError, match="cannot start"):
        process.start()


def test_a_reserved_socket_is_handed_over_as_systemd_fd_3(tmp_path):
    """The command gets the runtime's already bound socket (gunicorn honours LISTEN_FDS)."""
    import socket

    from ecslocal.runtime import reserve_listener

    listener = reserve_listener()
    port = listener.getsockname()[1]
    script = (
        "import os, socket; "
        "assert os.environ['LISTEN_PID'] == str(os.getpid()), 'LISTEN_PID is not my pid'; "
        "s = socket.socket(fileno=3); print('fds', os.environ['LISTEN_FDS'], s.getsockname()[1])"
    )
    lines: list[str] = []
    process = ContainerProcess(
        [sys.executable, "-c", script],
        {"PATH": os.environ["PATH"]},
        tmp_path,
        lambda _stream, line: lines.append(line),
        listen_fd=listener.fileno(),
    )
    process.start()
    try:
        assert process.wait(timeout=20) == 0, lines
        process.stop(1)
        assert lines == [f"fds 1 {port}"]
        # Still bound by this process: nobody else could have taken the port meanwhile.
        with pytest.raises(OSError), socket.socket() as other:
            other.bind(("127.0.0.1", port))
    finally:
        listener.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to the task's uid needs root")
def test_as_root_the_command_runs_as_the_task_definitions_user(tmp_path):
    from ecslocal.launcher import task_user

    run_as = task_user({"user": "10001:10001"})
    assert run_as == (10001, 10001)
    tmp_path.chmod(0o755)
    lines: list[str] = []
    code = "import os; print(os.getuid(), os.getgid(), os.getgroups())"
    process = ContainerProcess(
        ["/usr/bin/python3", "-c", code],
        {"PATH": "/usr/bin:/bin"},
        tmp_path,
        lambda _stream, line: lines.append(line),
        run_as=run_as,
    )
    process.start()
    assert process.wait(timeout=20) == 0, lines
    process.stop(1)
    assert lines == ["10001 10001 []"]


def test_a_private_interpreter_is_named_as_the_reason_not_to_switch_user(tmp_path):
    from ecslocal.launcher import why_not_switch_user

    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    interpreter = private / "python"
    interpreter.write_text("")
    interpreter.chmod(0o755)
    reason = why_not_switch_user(interpreter, tmp_path)
    assert reason is not None
    if os.geteuid() == 0:
        assert str(private) in reason
