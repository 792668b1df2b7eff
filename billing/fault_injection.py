"""Named kill points for the chaos tests: with `BILLING_KILL_POINTS=name:n,...` and
`BILLING_KILL_POINTS_DIR` set, the n-th time this process passes `name` it SIGKILLs itself,
once per name across restarts (a marker file in the directory remembers that it fired).
Unset, as in production, `kill_point` only reads a dict."""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from functools import lru_cache
from pathlib import Path

ENV_POINTS = "BILLING_KILL_POINTS"
ENV_DIR = "BILLING_KILL_POINTS_DIR"

_passes: Counter[str] = Counter()
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _armed() -> tuple[dict[str, int], Path | None]:
    spec = os.environ.get(ENV_POINTS, "")
    directory = os.environ.get(ENV_DIR)
    if not spec or not directory:
        return {}, None
    return parse_points(spec), Path(directory)


def parse_points(spec: str) -> dict[str, int]:
    """`a:3,b` -> {"a": 3, "b": 1} (what BILLING_KILL_POINTS holds)."""
    points: dict[str, int] = {}
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        name, _, nth = entry.partition(":")
        points[name] = int(nth or "1")
    return points


def kill_point(name: str) -> None:
    points, directory = _armed()
    if name not in points or directory is None:
        return
    with _lock:
        _passes[name] += 1
        if _passes[name] != points[name]:
            return
        marker = directory / f"{name}.fired"
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return  # fired in an earlier life of this worker
        os.write(fd, f"{os.getpid()}\n".encode())
        os.fsync(fd)
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)
