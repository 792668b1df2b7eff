"""The console's Jinja2 templates and the filters they format with: amounts per currency and
locale through billing.money (Babel), dates and times in the reader's time zone."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from starlette.responses import Response

from billing.money import DEFAULT_LOCALE, format_money, format_unit_price
from billing.vocabulary import InvoiceFrequency
from starter.console.session import Viewer, csrf_token, remember_csrf

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")

FREQUENCY_LABELS = {InvoiceFrequency.per_order: "Per Order", InvoiceFrequency.monthly: "Monthly"}


def _reader(context: Any) -> tuple[str, str]:
    """(time zone, locale) of the partner in view; UTC and the default for the administrator."""
    viewer: Viewer | None = context.get("viewer")
    return (viewer.time_zone, viewer.locale) if viewer else ("UTC", DEFAULT_LOCALE)


@pass_context
def _money(context: Any, amount: Decimal | None, currency: str | None) -> str:
    if amount is None or currency is None:
        return "—"
    return format_money(amount, currency, _reader(context)[1])


@pass_context
def _unit_price(context: Any, amount: Decimal, currency: str) -> str:
    return format_unit_price(amount, currency, _reader(context)[1])


@pass_context
def _when(context: Any, value: datetime | None) -> str:
    if value is None:
        return "—"
    zone, locale = _reader(context)
    return format_datetime(value, "medium", tzinfo=ZoneInfo(zone), locale=locale)


@pass_context
def _day(context: Any, value: date | None) -> str:
    return "—" if value is None else format_date(value, "medium", locale=_reader(context)[1])


def _frequency(value: str) -> str:
    return FREQUENCY_LABELS.get(InvoiceFrequency(value), value)


templates.env.filters["money"] = _money
templates.env.filters["unit_price"] = _unit_price
templates.env.filters["when"] = _when
templates.env.filters["day"] = _day
templates.env.filters["frequency"] = _frequency


def render(
    request: Request,
    name: str,
    viewer: Viewer | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    response = templates.TemplateResponse(
        request,
        name,
        {"viewer": viewer, "csrf": csrf_token(request), **context},
        status_code=status_code,
    )
    remember_csrf(request, response)
    return response
