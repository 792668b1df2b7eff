"""Legal entities and their accounting periods. The administrator manages every issuer's; a
partner's token manages only its own, and another issuer's read as not found."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from billing.contracts.accounting import (
    AccountingPeriod,
    AccountingPeriodIn,
    LegalEntity,
    LegalEntityIn,
)
from billing.contracts.common import Identifier, Page
from billing.store import accounting_periods, legal_entities
from starter.api.auth import Principal, can_read, can_run_billing
from starter.api.context import AppContext, get_context

router = APIRouter(prefix="/v1", tags=["delta invoicing"])


@router.put("/legal-entities/{entity_id}", response_model=LegalEntity)
async def put_legal_entity(
    entity_id: Identifier,
    body: LegalEntityIn,
    principal: Principal = Depends(can_run_billing),
    ctx: AppContext = Depends(get_context),
) -> LegalEntity:
    return await ctx.transaction(
        legal_entities.put_legal_entity, entity_id, body, visible_to=principal.visible_to
    )


@router.get("/legal-entities/{entity_id}", response_model=LegalEntity)
async def get_legal_entity(
    entity_id: str,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> LegalEntity:
    return await ctx.transaction(
        legal_entities.get_legal_entity, entity_id, visible_to=principal.visible_to
    )


@router.put("/accounting-periods/{period_id}", response_model=AccountingPeriod)
async def put_accounting_period(
    period_id: Identifier,
    body: AccountingPeriodIn,
    principal: Principal = Depends(can_run_billing),
    ctx: AppContext = Depends(get_context),
) -> AccountingPeriod:
    """Create or replace a period (`ends_on` inclusive). Periods of one legal entity never
    overlap (409). Closing it for invoicing is refused (409, listing them) while open
    pre-invoices are assigned to it; nothing is saved then."""
    return await ctx.transaction(
        accounting_periods.put_accounting_period, period_id, body, visible_to=principal.visible_to
    )


@router.get("/accounting-periods/{period_id}", response_model=AccountingPeriod)
async def get_accounting_period(
    period_id: str,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> AccountingPeriod:
    return await ctx.transaction(
        accounting_periods.get_accounting_period, period_id, visible_to=principal.visible_to
    )


@router.get("/accounting-periods", response_model=Page[AccountingPeriod])
async def list_accounting_periods(
    issuer_id: str | None = None,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> Page[AccountingPeriod]:
    """Every period of the issuer (a partner's token: its own), by legal entity and start."""
    items = await ctx.transaction(
        accounting_periods.list_accounting_periods,
        issuer_id=issuer_id,
        visible_to=principal.visible_to,
    )
    return Page[AccountingPeriod](items=items)
