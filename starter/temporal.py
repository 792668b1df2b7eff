"""Connecting to Temporal the one way every part of the engine does it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client, WorkflowExecutionDescription
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from workflows import search_attributes


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
    return await Client.connect(
        address, namespace=namespace, data_converter=pydantic_data_converter
    )


async def register_search_attributes(
    client: Client, keys: Sequence[SearchAttributeKey] = search_attributes.ALL
) -> None:
    """Add the engine's custom search attributes where they are missing. Without them a workflow
    that sets one fails its tasks forever, so start-up does this before any worker runs."""
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        existing = set(listed.custom_attributes)
    except RPCError as error:
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        existing = set()  # the time-skipping test server only implements adding them
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type)
        for key in keys
        if key.name not in existing
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )


async def start_once(client: Client, workflow: Any, arg: Any, **options: Any) -> bool:
    """Start a workflow whose id names one piece of business work. When that id is running, or
    has run under a policy that refuses another run, the work is already in hand: False."""
    try:
        await client.start_workflow(workflow, arg, **options)
    except WorkflowAlreadyStartedError:
        return False
    return True


async def describe_or_none(client: Client, workflow_id: str) -> WorkflowExecutionDescription | None:
    """The workflow's description, or None when Temporal has never heard of it."""
    try:
        return await client.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
