"""Real parts for every test: PostgreSQL (DATABASE_URL, else an embedded server) with the
migrations applied to a fresh database, a Temporal dev server, a worker and the HTTP API."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, Page, async_playwright
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from billing.database import make_engine
from billing.settings import Settings
from billing.temporal.data_converter import DATA_CONVERTER
from billing.temporal.search_attributes import register_search_attributes
from starter.api.app import create_app
from starter.api.context import AppContext
from starter.binaries import temporal_test_server
from tests.browser import CHROMIUM_ARGS, chromium_path, screenshot_path
from tests.databases import fresh_database
from tests.temporal_servers import engine_dev_server
from tests.world import World, build_world
from worker import build_worker

ADMIN_TOKEN = "test-admin-token"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=16)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await engine_dev_server()
    async with env:
        yield env


@pytest.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """Java test server whose clock jumps whenever every workflow waits (or on env.sleep).
    It takes no search-attribute option, so they are registered before any worker runs."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=temporal_test_server(),
        data_converter=DATA_CONVERTER,
    )
    async with env:
        await register_search_attributes(env.client)
        yield env


def make_settings(
    database_url: str, task_queue: str, *, stuck_after: timedelta = timedelta(hours=24)
) -> Settings:
    return Settings.model_validate(
        {
            "DATABASE_URL": database_url,
            "BILLING_TASK_QUEUE": task_queue,
            "BILLING_ADMIN_TOKEN": ADMIN_TOKEN,
            "ORDER_STUCK_AFTER": stuck_after,
            # The tests' webhook receivers listen on loopback.
            "WEBHOOK_ALLOW_PRIVATE_TARGETS": True,
        }
    )


def api_client(settings: Settings, engine: Engine, client: Client) -> httpx.AsyncClient:
    app = create_app(AppContext(settings, engine, client))
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://billing.test",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url, f"billing-test-{uuid.uuid4().hex[:6]}")


@pytest.fixture(scope="session")
async def worker(
    temporal_env: WorkflowEnvironment, engine: Engine, settings: Settings
) -> AsyncIterator[None]:
    async with build_worker(
        temporal_env.client, engine, task_queue=settings.task_queue, webhook_private_targets=True
    ):
        yield


@pytest.fixture(scope="session")
async def api(
    temporal_env: WorkflowEnvironment, engine: Engine, settings: Settings, worker: None
) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(settings, engine, temporal_env.client) as client:
        yield client


@pytest.fixture(scope="session")
async def time_skipping_api(
    time_skipping_env: WorkflowEnvironment, engine: Engine, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The API and a worker on the time-skipping server (their own task queue)."""
    settings = make_settings(database_url, f"billing-skip-{uuid.uuid4().hex[:6]}")
    async with (
        build_worker(time_skipping_env.client, engine, task_queue=settings.task_queue),
        api_client(settings, engine, time_skipping_env.client) as client,
    ):
        yield client


@asynccontextmanager
async def served_over_http(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` over real HTTP on a free loopback port, in this event loop."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn has no "started" event
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
async def live_api_url(
    temporal_env: WorkflowEnvironment, engine: Engine, settings: Settings, worker: None
) -> AsyncIterator[str]:
    """The API (and the console) served over real HTTP, for the CLI and the browser."""
    async with served_over_http(
        create_app(AppContext(settings, engine, temporal_env.client))
    ) as url:
        yield url


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Headless Chromium (Debian's package) driven by Playwright, in the tests' event loop."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        await chromium.close()


@pytest.fixture
async def page(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    """A fresh browser profile per test; its last page is saved as a screenshot artefact."""
    context = await browser.new_context(
        accept_downloads=True, viewport={"width": 1400, "height": 900}
    )
    context.set_default_timeout(15_000)
    tab = await context.new_page()
    try:
        yield tab
    finally:
        if not tab.is_closed():
            await tab.screenshot(path=screenshot_path(request.node.name), full_page=True)
        await context.close()


@pytest.fixture
def temporal(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture
async def world(api: httpx.AsyncClient) -> World:
    """Fresh partners, vendors and offers under unique ids, so tests never share state."""
    return await build_world(api, uuid.uuid4().hex[:8])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The chaos suite's figures, shown even when its test passes quietly."""
    from tests.chaos import FIGURES

    if FIGURES:
        terminalreporter.section("chaos figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
