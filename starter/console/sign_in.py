"""Signing in with an API token, signing out, and the administrator acting on behalf of a
partner."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from billing.errors import NotFound
from billing.store.reference_data import get_partner
from starter.api.context import AppContext, get_context
from starter.console.session import (
    ACTING_FOR_COOKIE,
    PATH,
    SESSION_COOKIE,
    Viewer,
    admin_viewer,
    checked_form,
    principal_for,
    set_cookie,
)
from starter.console.templating import render

router = APIRouter()
HOME = f"{PATH}/billings"
BAD_TOKEN = (
    "That token is not valid. Use the administrator's token (BILLING_ADMIN_TOKEN) or a "
    "partner token issued with POST /v1/partners/{partner_id}/tokens."
)


@router.get("")
@router.get("/")
async def open_console() -> Response:
    return RedirectResponse(HOME, status_code=303)


@router.get("/sign-in")
async def show_sign_in(request: Request, signed_out: bool = False) -> Response:
    return render(request, "sign_in.html", None, signed_out=signed_out, error=None)


@router.post("/sign-in", dependencies=[Depends(checked_form)])
async def sign_in(request: Request, token: str = Form("")) -> Response:
    principal = await principal_for(request, token.strip()) if token.strip() else None
    if principal is None:
        return render(
            request, "sign_in.html", None, status_code=401, signed_out=False, error=BAD_TOKEN
        )
    response = RedirectResponse(HOME, status_code=303)
    set_cookie(response, SESSION_COOKIE, token.strip())
    response.delete_cookie(ACTING_FOR_COOKIE, path=PATH)
    return response


@router.post("/sign-out", dependencies=[Depends(checked_form)])
async def sign_out() -> Response:
    response = RedirectResponse(f"{PATH}/sign-in?signed_out=true", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PATH)
    response.delete_cookie(ACTING_FOR_COOKIE, path=PATH)
    return response


@router.post("/acting-for", dependencies=[Depends(checked_form)])
async def act_on_behalf_of(
    request: Request,
    partner_id: str = Form(""),
    back: str = Form(HOME),
    who: Viewer = Depends(admin_viewer),
    ctx: AppContext = Depends(get_context),
) -> Response:
    """The administrator views and acts as one partner (empty: as itself again)."""
    target = back if back.startswith(f"{PATH}/") else HOME
    response = RedirectResponse(target, status_code=303)
    partner_id = partner_id.strip()
    if not partner_id:
        response.delete_cookie(ACTING_FOR_COOKIE, path=PATH)
        return response
    try:
        await ctx.transaction(get_partner, partner_id)
    except NotFound as error:
        return render(
            request,
            "problem.html",
            who,
            status_code=404,
            title="No such partner",
            detail=f"{error.detail} Check the id (for example demo-seller) and try again.",
        )
    set_cookie(response, ACTING_FOR_COOKIE, partner_id)
    return response
