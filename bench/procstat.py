"""CPU of processes from Linux /proc, shared by the benchmarks: steadier than wall times on a
busy machine."""

from __future__ import annotations

import os


def cpu_seconds(pids: set[int]) -> float:
    """User + system CPU of these processes so far."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    return total / os.sysconf("SC_CLK_TCK")


def children(pid: int | None) -> set[int]:
    """The direct children of `pid` (an API server's workers)."""
    out: set[int] = set()
    if pid is None:
        return out
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.add(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return out
