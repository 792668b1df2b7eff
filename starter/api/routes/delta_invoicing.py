"""Licences (the administrator's) and switching delta invoicing on for an issuer."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from billing.contracts.accounting import DeltaInvoicing, LicenceToken
from billing.contracts.common import Strict
from billing.errors import NotFound
from billing.store import delta_enablement, licences
from starter.api.auth import Principal, can_run_billing, require_admin
from starter.api.context import AppContext, get_context

router = APIRouter(prefix="/v1", tags=["delta invoicing"])


class EnableDeltaInvoicing(Strict):
    """Nothing to say: the switch has one direction."""


class Licences(BaseModel):
    partner_id: str
    licences: list[str]


def _acts_for(principal: Principal, partner_id: str) -> None:
    """Another partner's switch reads as not found: a refusal confirms nothing."""
    if principal.partner_id is not None and principal.partner_id != partner_id:
        raise NotFound(f"No partner with id {partner_id!r}.")


@router.put(
    "/partners/{partner_id}/licences/{token}",
    response_model=Licences,
    dependencies=[Depends(require_admin)],
)
async def grant_licence(
    partner_id: str, token: LicenceToken, ctx: AppContext = Depends(get_context)
) -> Licences:
    """Grant a licence token (e.g. DELTA_INVOICING). Granting it again changes nothing."""
    granted = await ctx.transaction(licences.grant, partner_id, token)
    return Licences(partner_id=partner_id, licences=granted)


@router.delete(
    "/partners/{partner_id}/licences/{token}",
    response_model=Licences,
    dependencies=[Depends(require_admin)],
)
async def revoke_licence(
    partner_id: str, token: LicenceToken, ctx: AppContext = Depends(get_context)
) -> Licences:
    """Revoke a licence token. Delta invoicing already enabled stays enabled."""
    left = await ctx.transaction(licences.revoke, partner_id, token)
    return Licences(partner_id=partner_id, licences=left)


@router.post("/partners/{partner_id}/delta-invoicing", response_model=DeltaInvoicing)
async def enable_delta_invoicing(
    partner_id: str,
    body: EnableDeltaInvoicing | None = None,
    principal: Principal = Depends(can_run_billing),
    ctx: AppContext = Depends(get_context),
) -> DeltaInvoicing:
    """Switch delta invoicing on, for good. Checks, in this order: the DELTA_INVOICING licence
    (403 "feature not active"), then an active legal entity and an accounting period (409
    naming what is missing). Nothing is saved unless every check passes."""
    _acts_for(principal, partner_id)
    return await ctx.transaction(delta_enablement.enable_delta_invoicing, partner_id)


@router.delete("/partners/{partner_id}/delta-invoicing", response_model=DeltaInvoicing)
async def disable_delta_invoicing(
    partner_id: str,
    principal: Principal = Depends(can_run_billing),
    ctx: AppContext = Depends(get_context),
) -> DeltaInvoicing:
    """Always refused (409): once enabled, delta invoicing cannot be disabled."""
    _acts_for(principal, partner_id)
    await ctx.transaction(delta_enablement.refuse_to_disable, partner_id)
    raise AssertionError("refuse_to_disable always raises")
