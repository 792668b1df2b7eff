"""What the benchmarks read about processes on this machine (Linux /proc): CPU time so far and
resident memory now, of one process or of every process running a command."""

from __future__ import annotations

import asyncio
import os
import time


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(command: str, parent: int | None = None) -> list[int]:
    """Every process running `command` (of one parent's children, if given)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                name, fields = stat.read().split("(", 1)[1].rsplit(")", 1)
        except OSError:
            continue
        if name == command and (parent is None or int(fields.split()[1]) == parent):
            found.append(int(entry))
    return found


def processes_cpu(command: str, parent: int | None = None) -> float:
    """CPU time so far of every process running `command`; processes that ended in between are
    not counted, which is why the database's connections stay pooled for a measurement."""
    total = 0.0
    for pid in children(command, parent):
        try:
            total += cpu_seconds(pid)
        except OSError:
            continue
    return total


def dev_server_cpu() -> float:
    """CPU time so far of the Temporal dev server this benchmark started (its child process):
    where most of a bare baseline's work is, and the part of the engine's that is not Python."""
    return processes_cpu("temporal", parent=os.getpid())


def dev_server_mb() -> float:
    """Resident memory of the Temporal dev server this benchmark started."""
    return sum(resident_mb(pid) for pid in children("temporal", parent=os.getpid()))


def resident_mb(pid: int | str = "self") -> float:
    """Resident memory of one process now."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_now() -> dict[str, float]:
    """CPU seconds so far of this process (the engine's API and worker, or a baseline's client
    and worker), of the dev server and of PostgreSQL (every local postgres process)."""
    return {
        "process": time.process_time(),
        "server": dev_server_cpu(),
        "PostgreSQL": processes_cpu("postgres"),
    }


def cpu_since(before: dict[str, float]) -> dict[str, float]:
    """CPU seconds of each of `cpu_now()`'s processes since `before` (a `cpu_now()`)."""
    after = cpu_now()
    return {k: after[k] - before[k] for k in after}


def cpu_text(spent: dict[str, float], count: int) -> str:
    """CPU seconds per process (a `cpu_since()`) as ms per unit of work, for printing."""
    return ", ".join(f"{k} {seconds / count * 1000:.2f} ms" for k, seconds in spent.items())


def cpu_per(count: int, before: dict[str, float]) -> str:
    """CPU per unit of work since `before` (a `cpu_now()`), in ms, for printing."""
    return cpu_text(cpu_since(before), count)


async def settled(*, quiet: float = 0.1, window: float = 0.5, give_up_after: float = 1800) -> str:
    """Wait until this process and the dev server together use less than `quiet` of one core
    over `window` seconds: work a measurement set going (the first workflow tasks of thousands
    of started workflows) is then done, and neither counted in the next measurement nor left
    out of this one. Returns how long it took, for printing."""
    started = time.perf_counter()
    while (waited := time.perf_counter() - started) < give_up_after:
        before = time.process_time() + dev_server_cpu()
        await asyncio.sleep(window)
        if time.process_time() + dev_server_cpu() - before < quiet * window:
            return f"settled in {waited:.0f} s"
    return f"NOT settled after {waited:.0f} s: the next figures include its work"
