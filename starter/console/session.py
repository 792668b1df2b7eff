"""Who is signed in to the console: the API token (a partner's or the administrator's) kept in
an HttpOnly, SameSite=Strict cookie and checked by the API's own authentication on every
request; the partner an administrator acts on behalf of; and the CSRF token every form sends
back (double submit: a random cookie the page cannot read, echoed in a hidden field)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Depends, Form, Request
from fastapi.security import HTTPAuthorizationCredentials
from starlette.exceptions import HTTPException
from starlette.responses import Response

from billing.errors import NotFound
from billing.money import DEFAULT_LOCALE
from billing.store.reference_data import get_partner
from starter.api.auth import Principal, authenticate
from starter.api.context import AppContext, get_context

SESSION_COOKIE = "billing_console_session"
ACTING_FOR_COOKIE = "billing_console_acting_for"
CSRF_COOKIE = "billing_console_csrf"
PATH = "/console"


class SignInRequired(Exception):
    """No valid session: the console sends the browser to the sign-in page."""


class AdminOnly(Exception):
    """A page or action of the administrator's, asked for with a partner's token."""

    def __init__(self, who: Viewer) -> None:
        super().__init__(who.principal.name)
        self.who = who


class CsrfRejected(Exception):
    """A form post without the session's CSRF token (another site, or a stale page)."""


@dataclass(frozen=True)
class Viewer:
    principal: Principal
    # The partner an administrator acts on behalf of; None when it acts as itself.
    acting_for: str | None
    acting_for_name: str | None
    csrf: str
    # How the partner in view reads dates and amounts.
    time_zone: str = "UTC"
    locale: str = DEFAULT_LOCALE
    # Whether the partner in view bills by pre-invoice generation (its pages are shown then).
    delta_invoicing: bool = False

    @property
    def scope(self) -> Principal:
        """What the data is filtered by: the partner's own view, also when the administrator
        acts on its behalf."""
        if self.acting_for is None:
            return self.principal
        return Principal(
            name=f"{self.principal.name} on behalf of {self.acting_for}",
            partner_id=self.acting_for,
        )

    @property
    def partner_id(self) -> str | None:
        return self.scope.partner_id

    @property
    def is_admin(self) -> bool:
        return self.principal.is_admin


def set_cookie(response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="strict", path=PATH, secure=False, max_age=None
    )


def csrf_token(request: Request) -> str:
    """The browser's CSRF token, made on its first visit."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(24)
        request.state.new_csrf = token
    return token


def remember_csrf(request: Request, response: Response) -> None:
    new = getattr(request.state, "new_csrf", None)
    if new:
        set_cookie(response, CSRF_COOKIE, new)


async def principal_for(request: Request, token: str) -> Principal | None:
    """The API's own authentication of a bearer token."""
    try:
        return await authenticate(
            request, HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
        )
    except HTTPException:
        return None


async def viewer(request: Request, ctx: AppContext = Depends(get_context)) -> Viewer:
    token = request.cookies.get(SESSION_COOKIE)
    principal = await principal_for(request, token) if token else None
    if principal is None:
        raise SignInRequired
    acting_for = request.cookies.get(ACTING_FOR_COOKIE) if principal.is_admin else None
    in_view = acting_for or principal.partner_id
    partner = None
    if in_view:
        try:
            partner = await ctx.transaction(get_partner, in_view)
        except NotFound:  # the partner acted for is gone: act as oneself again
            acting_for = None
    return Viewer(
        principal,
        acting_for or None,
        partner.name if partner and acting_for else None,
        csrf_token(request),
        time_zone=partner.time_zone if partner else "UTC",
        locale=partner.locale if partner else DEFAULT_LOCALE,
        delta_invoicing=bool(
            partner and partner.delta_invoicing and partner.delta_invoicing.enabled
        ),
    )


async def checked_form(request: Request, csrf: str = Form("")) -> None:
    """Dependency of every form post: its CSRF field must match the browser's cookie."""
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf.encode(), expected.encode()):
        raise CsrfRejected


async def admin_viewer(who: Viewer = Depends(viewer)) -> Viewer:
    """The viewer of a page that is the administrator's: billing runs (the API keeps them to the
    administrator's token) and acting on behalf of a partner."""
    if not who.is_admin:
        raise AdminOnly(who)
    return who
