"""Calling the API's route functions from the console as the signed-in principal. A route's
`principal` parameter names the dependency that checks it (a token scope, the administrator);
the console runs that same check on the session's principal before calling the route, so a
partner token may do in the console exactly what it may do over HTTP."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import params
from starlette.exceptions import HTTPException

from billing.errors import Forbidden
from starter.api.auth import Principal, authenticate
from starter.console.session import Viewer

R = TypeVar("R")


async def as_viewer(route: Callable[..., Awaitable[R]], who: Viewer, /, **arguments: Any) -> R:
    principal: Principal = who.scope
    parameter = inspect.signature(route).parameters.get("principal")
    if parameter is not None:
        dependency = parameter.default
        if isinstance(dependency, params.Depends) and dependency.dependency not in (
            None,
            authenticate,
        ):
            try:
                principal = await dependency.dependency(principal=principal)
            except HTTPException as refused:
                raise Forbidden(str(refused.detail)) from None
        arguments["principal"] = principal
    return await route(**arguments)
