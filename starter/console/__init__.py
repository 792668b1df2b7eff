"""The web console for billing administrators, served by the API's own application under
/console: server-rendered pages (Jinja2) with a few lines of JavaScript for live progress.

Every page reads and acts through the functions the HTTP API's routes use (the store's
queries, the routes' own handlers for actions), scoped by the API's authentication, so the
console holds no rule of its own.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from starter.console import (
    accounting_periods,
    billings,
    invoices,
    orders,
    pre_invoices,
    runs,
    sign_in,
)
from starter.console.session import AdminOnly, CsrfRejected, SignInRequired
from starter.console.templating import HERE, render

PREFIX = "/console"


async def _sign_in_first(request: Request, exc: Exception) -> Response:
    return RedirectResponse(f"{PREFIX}/sign-in", status_code=303)


async def _csrf_rejected(request: Request, exc: Exception) -> Response:
    return render(
        request,
        "problem.html",
        None,
        status_code=403,
        title="This form has expired",
        detail="The page was opened before your current session. Reload it and send the "
        "form again.",
    )


async def _admin_only(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AdminOnly)
    return render(
        request,
        "problem.html",
        exc.who,
        status_code=403,
        title="Administrator only",
        detail="This page is the administrator's: sign in with the administrator's token "
        "(BILLING_ADMIN_TOKEN) to use it.",
        back=f"{PREFIX}/billings",
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, _sign_in_first)
    app.add_exception_handler(AdminOnly, _admin_only)
    app.add_exception_handler(CsrfRejected, _csrf_rejected)
    for module in (sign_in, billings, invoices, orders, runs, accounting_periods, pre_invoices):
        app.include_router(module.router, prefix=PREFIX, include_in_schema=False)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="console-static")
