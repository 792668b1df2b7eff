"""Partners, vendors and offers: upserts keyed by the caller's ids (PUT semantics)."""

from __future__ import annotations

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects.postgresql import insert

from billing.consolidation import validate_days_before
from billing.contracts.accounting import DeltaInvoicing
from billing.contracts.reference_data import (
    ConsolidationSettings,
    Offer,
    OfferIn,
    Partner,
    PartnerIn,
    PartnerSettings,
    Vendor,
    VendorIn,
)
from billing.errors import InvalidRequest, NotFound
from billing.partner_hierarchy import check_parent_level, check_parent_reference
from billing.schema import offers, partners, vendors
from billing.store.licences import licences_of
from billing.store.visibility import seen_by


def put_partner(conn: Connection, partner_id: str, body: PartnerIn) -> Partner:
    check_parent_reference(body.level, partner_id, body.parent_id)
    if body.parent_id is not None:
        parent_level = conn.scalar(select(partners.c.level).where(partners.c.id == body.parent_id))
        check_parent_level(body.level, body.parent_id, parent_level)
    _check_consolidation_days(conn, partner_id, body)
    consolidation = body.settings.consolidation
    values = {
        "name": body.name,
        "level": body.level.value,
        "parent_id": body.parent_id,
        "currency": body.currency,
        "invoice_per_order": body.settings.invoice_per_order,
        "bill_to_contact": body.bill_to_contact,
        "payment_term": body.payment_term.value,
        "billing_day": body.billing_day,
        "renewal_order_days": body.renewal_order_days,
        "overdue_days": body.overdue_days,
        "invoice_grouping": body.settings.grouping.value,
        "consolidation_enabled": consolidation.enabled,
        "consolidation_days_before": consolidation.days_before_billing_day,
        "consolidation_include_overusage": consolidation.include_overusage,
        "consolidation_include_domain_ssl": consolidation.include_domain_ssl_renewals,
        "summary_invoices": body.settings.summary_invoices,
        "country": body.country,
        "postal_address": body.postal_address,
        "tax_id": body.tax_id,
        "time_zone": body.time_zone,
        "locale": body.locale,
    }
    conn.execute(
        insert(partners)
        .values(id=partner_id, **values)
        .on_conflict_do_update(
            index_elements=[partners.c.id], set_={**values, "updated_at": func.now()}
        )
    )
    return get_partner(conn, partner_id)


def _check_consolidation_days(conn: Connection, partner_id: str, body: PartnerIn) -> None:
    """M (the issuer's days before the billing day) must lie within every customer's
    renewal-order and overdue periods; checked from both sides, whichever changes."""
    consolidation = body.settings.consolidation
    if consolidation.enabled:
        for child in conn.execute(
            select(partners.c.id, partners.c.renewal_order_days, partners.c.overdue_days)
            .where(partners.c.parent_id == partner_id)
            .order_by(partners.c.renewal_order_days, partners.c.overdue_days, partners.c.id)
        ):
            validate_days_before(
                consolidation.days_before_billing_day,
                renewal_order_days=child.renewal_order_days,
                overdue_days=child.overdue_days,
                who=f"customer {child.id!r}",
            )
    if body.parent_id is not None:
        parent = conn.execute(
            select(partners.c.consolidation_enabled, partners.c.consolidation_days_before).where(
                partners.c.id == body.parent_id
            )
        ).first()
        if parent is not None and parent.consolidation_enabled:
            validate_days_before(
                parent.consolidation_days_before,
                renewal_order_days=body.renewal_order_days,
                overdue_days=body.overdue_days,
                who=f"customer {partner_id!r} (its issuer {body.parent_id!r} consolidates)",
            )


def get_partner(conn: Connection, partner_id: str, *, visible_to: str | None = None) -> Partner:
    """`visible_to`: a partner, who sees its own record and those of the partners it bills (its
    children); any other reads as not found."""
    query = seen_by(
        select(partners).where(partners.c.id == partner_id),
        visible_to,
        partners.c.id,
        partners.c.parent_id,
    )
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"No partner with id {partner_id!r}.")
    return Partner(
        id=row["id"],
        name=row["name"],
        level=row["level"],
        parent_id=row["parent_id"],
        currency=row["currency"],
        country=row["country"],
        settings=PartnerSettings(
            invoice_per_order=row["invoice_per_order"],
            summary_invoices=row["summary_invoices"],
            grouping=row["invoice_grouping"],
            consolidation=ConsolidationSettings(
                enabled=row["consolidation_enabled"],
                days_before_billing_day=row["consolidation_days_before"],
                include_overusage=row["consolidation_include_overusage"],
                include_domain_ssl_renewals=row["consolidation_include_domain_ssl"],
            ),
        ),
        bill_to_contact=row["bill_to_contact"],
        payment_term=row["payment_term"],
        billing_day=row["billing_day"],
        renewal_order_days=row["renewal_order_days"],
        overdue_days=row["overdue_days"],
        postal_address=row["postal_address"],
        tax_id=row["tax_id"],
        time_zone=row["time_zone"],
        locale=row["locale"],
        licences=licences_of(conn, partner_id),
        delta_invoicing=DeltaInvoicing(
            enabled=row["delta_invoicing_enabled_at"] is not None,
            enabled_at=row["delta_invoicing_enabled_at"],
        ),
    )


def put_vendor(conn: Connection, vendor_id: str, body: VendorIn) -> Vendor:
    values = body.model_dump()
    conn.execute(
        insert(vendors)
        .values(id=vendor_id, **values)
        .on_conflict_do_update(
            index_elements=[vendors.c.id], set_={**values, "updated_at": func.now()}
        )
    )
    return get_vendor(conn, vendor_id)


def get_vendor(conn: Connection, vendor_id: str) -> Vendor:
    row = conn.execute(select(vendors).where(vendors.c.id == vendor_id)).mappings().first()
    if row is None:
        raise NotFound(f"No vendor with id {vendor_id!r}.")
    return Vendor(id=row["id"], name=row["name"], invoice_per_order=row["invoice_per_order"])


def put_offer(conn: Connection, offer_id: str, body: OfferIn) -> Offer:
    if conn.scalar(select(vendors.c.id).where(vendors.c.id == body.vendor_id)) is None:
        raise InvalidRequest(f"Unknown vendor {body.vendor_id!r}; create it first.")
    values = body.model_dump(mode="python")
    values["billing_type"] = body.billing_type.value
    values["category"] = body.category.value
    conn.execute(
        insert(offers)
        .values(id=offer_id, **values)
        .on_conflict_do_update(
            index_elements=[offers.c.id], set_={**values, "updated_at": func.now()}
        )
    )
    return get_offer(conn, offer_id)


def get_offer(conn: Connection, offer_id: str) -> Offer:
    row = conn.execute(select(offers).where(offers.c.id == offer_id)).mappings().first()
    if row is None:
        raise NotFound(f"No offer with id {offer_id!r}.")
    return Offer.model_validate({name: row[name] for name in Offer.model_fields})


def partner_names(conn: Connection, partner_ids: set[str]) -> dict[str, str]:
    """The names people read for these partners (ids not found are left out)."""
    if not partner_ids:
        return {}
    rows = conn.execute(
        select(partners.c.id, partners.c.name).where(partners.c.id.in_(sorted(partner_ids)))
    )
    return {row.id: row.name for row in rows}
