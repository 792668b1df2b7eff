"""Partners, vendors, offers: PUT creates or replaces (the administrator), GET reads. A partner
reads its own record and its children's; the catalogue (vendors, offers) is everyone's."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from billing.contracts.common import Identifier
from billing.contracts.reference_data import Offer, OfferIn, Partner, PartnerIn, Vendor, VendorIn
from billing.store import reference_data as store
from starter.api.auth import Principal, can_read, require_admin
from starter.api.context import AppContext, get_context

router = APIRouter(prefix="/v1", tags=["reference data"])
_admin = [Depends(require_admin)]
_read = [Depends(can_read)]


@router.put("/partners/{partner_id}", response_model=Partner, dependencies=_admin)
async def put_partner(
    body: PartnerIn, partner_id: Identifier, ctx: AppContext = Depends(get_context)
) -> Partner:
    return await ctx.transaction(store.put_partner, partner_id, body)


@router.get("/partners/{partner_id}", response_model=Partner)
async def get_partner(
    partner_id: str,
    principal: Principal = Depends(can_read),
    ctx: AppContext = Depends(get_context),
) -> Partner:
    return await ctx.transaction(store.get_partner, partner_id, visible_to=principal.visible_to)


@router.put("/vendors/{vendor_id}", response_model=Vendor, dependencies=_admin)
async def put_vendor(
    body: VendorIn, vendor_id: Identifier, ctx: AppContext = Depends(get_context)
) -> Vendor:
    return await ctx.transaction(store.put_vendor, vendor_id, body)


@router.get("/vendors/{vendor_id}", response_model=Vendor, dependencies=_read)
async def get_vendor(vendor_id: str, ctx: AppContext = Depends(get_context)) -> Vendor:
    return await ctx.transaction(store.get_vendor, vendor_id)


@router.put("/offers/{offer_id}", response_model=Offer, dependencies=_admin)
async def put_offer(
    body: OfferIn, offer_id: Identifier, ctx: AppContext = Depends(get_context)
) -> Offer:
    return await ctx.transaction(store.put_offer, offer_id, body)


@router.get("/offers/{offer_id}", response_model=Offer, dependencies=_read)
async def get_offer(offer_id: str, ctx: AppContext = Depends(get_context)) -> Offer:
    return await ctx.transaction(store.get_offer, offer_id)
