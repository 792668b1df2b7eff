"""Errors as pages a person can act on: the API's problem detail, what to do, a way back."""

from __future__ import annotations

from fastapi import Request
from pydantic import ValidationError
from starlette.responses import Response

from billing.errors import BillingError
from starter.api.problems import status_of
from starter.console.session import Viewer
from starter.console.templating import render


def problem_page(
    request: Request,
    who: Viewer | None,
    error: BillingError | str,
    *,
    back: str,
    title: str | None = None,
    status_code: int | None = None,
) -> Response:
    if isinstance(error, BillingError):
        detail, title, status = error.detail, title or error.title, status_of(error)
    else:
        detail, status = error, 400
    return render(
        request,
        "problem.html",
        who,
        status_code=status_code or status,
        title=title or "That did not work",
        detail=detail,
        back=back,
    )


def validation_detail(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in error.errors()
    )
