"""The console's browser tests: headless Chromium from Debian's `chromium` package, driven by
Playwright. `python3 dev.py test` installs the package when it is missing (as root); without it
these tests fail with the advice below instead of being skipped."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CONSOLE_BROWSER", "/usr/bin/chromium"))
# Each browser test leaves a screenshot of its last page here (git-ignored; CI keeps it).
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "console"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    if not CHROMIUM.exists():
        pytest.fail(
            f"No Chromium at {CHROMIUM}. Run the tests with `python3 dev.py test` as root (it "
            "installs Debian's chromium), or `sudo apt-get install chromium`, or set "
            "CONSOLE_BROWSER to a Chromium binary.",
            pytrace=False,
        )
    return str(CHROMIUM)


def screenshot_path(test_name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name) + ".png")
