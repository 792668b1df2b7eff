"""How the Temporal dev server keeps its state in an SQLite file.

SQLite's default journal flushes the disk twice per commit, so every start, signal and
workflow task waits on the disk, and a report's latency rises with the file's size. In
write-ahead-log mode with `synchronous=NORMAL` a commit appends to the log and is flushed only
at checkpoints: a commit survives the server's process being killed, though not the machine
losing power, which is the dev server's bargain anyway."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

WRITE_AHEAD_LOG = ("journal_mode=WAL", "synchronous=NORMAL")


def sqlite_store_args(path: Path, pragmas: Sequence[str] = WRITE_AHEAD_LOG) -> list[str]:
    """`temporal server start-dev` arguments for a store in `path` under `pragmas`."""
    return ["--db-filename", str(path), *(f"--sqlite-pragma={pragma}" for pragma in pragmas)]


def store_files(path: Path) -> list[Path]:
    """The store's files on disk: in write-ahead-log mode, commits not yet checkpointed into
    the file are in its log beside it."""
    return [f for f in (path, path.with_name(path.name + "-wal")) if f.exists()]
