"""Connecting to Temporal the one way every part of the engine does it."""

from __future__ import annotations

import asyncio

from temporalio.client import Client

from billing.temporal.data_converter import DATA_CONVERTER


async def connect_when_ready(address: str, namespace: str, *, wait: float = 60.0) -> Client:
    """Connect, retrying while the server starts: a fresh dev server or cluster accepts
    connections a few seconds before its frontend reports healthy."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        try:
            return await connect(address, namespace)
        except RuntimeError as error:
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"Temporal at {address} is not ready: {error}") from error
            await asyncio.sleep(0.5)


async def connect(address: str, namespace: str) -> Client:
    return await Client.connect(address, namespace=namespace, data_converter=DATA_CONVERTER)
