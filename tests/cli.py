"""Running the `billing` CLI in tests, against an API served over real HTTP."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner

from starter.cli import app
from tests.conftest import ADMIN_TOKEN


async def billing(url: str, *args: str, token: str = ADMIN_TOKEN) -> tuple[int, str]:
    env = {"BILLING_API_URL": url, "BILLING_TOKEN": token, "COLUMNS": "200"}
    # The CLI is synchronous; run it off the loop that serves the API.
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    return result.exit_code, result.output
