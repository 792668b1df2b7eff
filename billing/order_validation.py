"""What a new order must satisfy before it is recorded: known parties, an issuer that may issue
invoices and bills the customer directly, known offers, and one currency per order (one order
is invoiced as one document)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from billing.errors import InvalidRequest
from billing.partner_hierarchy import bills_directly
from billing.vocabulary import PartnerLevel


@dataclass(frozen=True)
class Party:
    level: PartnerLevel
    parent_id: str | None


def check_parties(
    issuer_id: str, customer_id: str, issuer: Party | None, customer: Party | None
) -> None:
    """`issuer` / `customer` None: no partner has that id."""
    if issuer is None:
        raise InvalidRequest(f"Unknown issuer {issuer_id!r}; create the partner first.")
    if issuer.level == PartnerLevel.customer:
        raise InvalidRequest(f"{issuer_id!r} is a customer and cannot issue invoices.")
    if customer is None or not bills_directly(issuer_id, customer.parent_id):
        # One answer for a customer that does not exist and for another partner's, so an
        # order system learns nothing about partners that are not its own.
        raise InvalidRequest(
            f"Unknown customer {customer_id!r} of {issuer_id!r}: create the partner below the "
            "issuer first; billing reaches exactly one level down, from a partner to the "
            "partners directly below it."
        )


def check_offers(wanted: set[str], currencies: Mapping[str, str]) -> None:
    """`currencies`: the currency of each wanted offer that exists."""
    missing = sorted(wanted - currencies.keys())
    if missing:
        raise InvalidRequest(f"Unknown offer(s) {missing}; create them first.")
    if len(set(currencies.values())) > 1:
        by_currency = sorted(f"{offer} ({currency})" for offer, currency in currencies.items())
        raise InvalidRequest(
            "The items of one order must share one currency so the order can be invoiced as "
            f"one document; these offers differ: {', '.join(by_currency)}. Split the order."
        )
