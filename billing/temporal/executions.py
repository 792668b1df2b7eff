"""Starting a workflow once under the id that names its piece of business work, and looking one
up by that id."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from pydantic import BaseModel
from temporalio.client import Client, WorkflowExecutionDescription
from temporalio.common import (
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.types import MethodAsyncSingleParam, ParamType, ReturnType, SelfType


async def start_once(
    client: Client,
    workflow: MethodAsyncSingleParam[SelfType, ParamType, ReturnType],
    arg: ParamType,
    *,
    id: str,
    task_queue: str,
    id_reuse_policy: WorkflowIDReusePolicy,
    id_conflict_policy: WorkflowIDConflictPolicy = WorkflowIDConflictPolicy.UNSPECIFIED,
    search_attributes: TypedSearchAttributes | None = None,
    static_summary: str | None = None,
    static_details: str | None = None,
    start_delay: timedelta | None = None,
    start_signal: str | None = None,
    start_signal_args: Sequence[BaseModel] = (),
) -> bool:
    """Start a workflow whose id names one piece of business work. When that id is running, or
    has run under a policy that refuses another run, the work is already in hand: False."""
    try:
        await client.start_workflow(
            workflow,
            arg,
            id=id,
            task_queue=task_queue,
            id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy,
            search_attributes=search_attributes,
            static_summary=static_summary,
            static_details=static_details,
            start_delay=start_delay,
            start_signal=start_signal,
            start_signal_args=start_signal_args,
        )
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


# Ids that need no escaping in a visibility query; order numbers are all of this form.
_PLAIN_ID = re.compile(r"^[A-Za-z0-9._:@-]+$")


async def running_among(client: Client, workflow_ids: Sequence[str]) -> set[str]:
    """Those of the ids whose workflow visibility lists as running: one list call for a page of
    ids, where describing each is a call per id. Visibility trails starts and closes, so an id
    missing here is only a candidate for a closer look (`describe_or_none`)."""
    plain = [i for i in workflow_ids if _PLAIN_ID.match(i)]
    if not plain:
        return set()
    listed = ", ".join(f"'{i}'" for i in plain)
    query = f"WorkflowId IN ({listed}) AND ExecutionStatus = 'Running'"
    try:
        return {e.id async for e in client.list_workflows(query, page_size=len(plain))}
    except RPCError as error:
        # A visibility store that cannot answer the query, or a server without list calls
        # (Temporal's time-skipping test server): every id gets the closer look.
        if error.status in (RPCStatusCode.INVALID_ARGUMENT, RPCStatusCode.UNIMPLEMENTED):
            return set()
        raise
