"""Process groups from /proc: which processes a container left, and what they use."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class ProcStat:
    """The fields of ``/proc/<pid>/stat`` the runtime uses."""

    pid: int
    state: str
    pgrp: int
    cpu_ns: int
    rss_bytes: int


def read_stat(pid: int) -> ProcStat | None:
    """The stat of ``pid``, or None when it has gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name is in parentheses and may hold spaces: split after the last ')'.
    fields = text[text.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return ProcStat(
        pid=pid,
        state=fields[0],
        pgrp=int(fields[2]),
        cpu_ns=(utime + stime) * 1_000_000_000 // CLOCK_TICKS,
        rss_bytes=int(fields[21]) * PAGE_SIZE,
    )


def group_members(pgid: int) -> list[ProcStat]:
    """The live (not zombie) processes in process group ``pgid``."""
    members = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        stat = read_stat(int(entry.name))
        if stat is not None and stat.pgrp == pgid and stat.state != "Z":
            members.append(stat)
    return members


def system_cpu_ns() -> int:
    """Total CPU time of the machine since boot, in nanoseconds (Docker's ``system_cpu_usage``)."""
    first = (PROC / "stat").read_text().splitlines()[0].split()
    return sum(int(v) for v in first[1:8]) * 1_000_000_000 // CLOCK_TICKS
