#!/usr/bin/env python3
"""The project's entry point on a fresh machine that has only Python 3.11+.

    python3 dev.py start             # whole system with demo data (API, worker, Temporal, PostgreSQL)
    python3 dev.py test [pytest args] # the full test suite
    python3 dev.py lint              # ruff (lint and format) + mypy
    python3 dev.py record-histories  # re-record the workflow histories the replay tests use
    python3 dev.py bench NAME        # run bench/NAME.py, a benchmark that prints its ratios

Each command first makes `.venv` and installs the project into it when pyproject.toml changed,
so nothing has to be installed by hand. Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs before anything checks versions
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"Creating the virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = VENV / ".installed-from"
    if not stamp.exists() or stamp.read_text().strip() != digest:
        print("Installing the project and its dependencies into .venv ...", flush=True)
        subprocess.check_call([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        subprocess.check_call(
            [str(PYTHON), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev]"], cwd=ROOT
        )
        stamp.write_text(digest)


# The project's own packages, compiled ahead: the worker's workflow sandbox imports a workflow's
# module afresh for every workflow run, and without a .pyc beside it (a shell with
# PYTHONDONTWRITEBYTECODE set never writes one) it compiles the source every time. pip compiles
# what it installs, so deployments already have them; compileall writes them whatever that
# variable says, and skips the ones that are up to date.
SOURCES = (
    "activities",
    "billing",
    "workflows",
    "starter",
    "migrations",
    "bench",
    "tests",
    "worker.py",
)


def compile_sources() -> None:
    subprocess.check_call(
        [str(PYTHON), "-m", "compileall", "-q", *SOURCES], cwd=ROOT, stdout=subprocess.DEVNULL
    )


# The console's browser tests drive Debian's Chromium (Playwright's own browser downloads are
# not used). tests/browser.py reads the same variable.
CHROMIUM = Path(os.environ.get("CONSOLE_BROWSER", "/usr/bin/chromium"))


def ensure_browser() -> None:
    """Install Debian's chromium when it is missing and this is a root shell with apt (CI, the
    dev container). Otherwise say how to get it; the browser tests then fail with the same
    advice rather than being skipped."""
    if CHROMIUM.exists():
        return
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing Debian's chromium for the console's browser tests ...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.check_call(["apt-get", "update", "-qq"], env=env)
        subprocess.check_call(["apt-get", "install", "-y", "-qq", "chromium"], env=env)
        return
    print(
        f"No Chromium at {CHROMIUM}: the console's browser tests will fail. Install it with "
        "`sudo apt-get install chromium` (Debian/Ubuntu), or set CONSOLE_BROWSER to a "
        "Chromium binary.",
        file=sys.stderr,
        flush=True,
    )


def run(argv: list[str], *, last: bool = True) -> int:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if last and os.name == "posix":
        # Become the command, so Ctrl-C and SIGTERM reach it directly and it can stop cleanly.
        os.chdir(ROOT)
        os.execve(argv[0], argv, env)
    return subprocess.call(argv, cwd=ROOT, env=env)


def main() -> int:
    command, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("help", [])
    if command not in {"start", "test", "lint", "record-histories", "bench"}:
        print(__doc__)
        return 0 if command in {"help", "-h", "--help"} else 2
    ensure_environment()
    compile_sources()
    py = str(PYTHON)
    if command == "start":
        return run([py, "-m", "starter.devstack", *args])
    if command == "test":
        ensure_browser()
        return run([py, "-m", "pytest", *args])
    if command == "lint":
        return (
            run([py, "-m", "ruff", "check", "."], last=False)
            or run([py, "-m", "ruff", "format", "--check", "."], last=False)
            or run([py, "-m", "mypy"])
        )
    if command == "bench":
        if not args:
            names = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem != "__init__")
            print("benchmarks:", ", ".join(names) or "none")
            return 2
        return run([py, "-m", f"bench.{args[0]}", *args[1:]])
    return run([py, "-m", "tests.histories.record", *args])


if __name__ == "__main__":
    sys.exit(main())
