"""Who may bill whom: distributors stand at the top, sellers are billed by a distributor and
customers by a seller or a distributor. Billing always reaches exactly one level down."""

from __future__ import annotations

from billing.errors import InvalidRequest
from billing.vocabulary import PartnerLevel

# The levels a partner's parent may have.
PARENT_LEVELS: dict[PartnerLevel, set[PartnerLevel]] = {
    PartnerLevel.distributor: set(),
    PartnerLevel.seller: {PartnerLevel.distributor},
    PartnerLevel.customer: {PartnerLevel.seller, PartnerLevel.distributor},
}


def check_parent_reference(level: PartnerLevel, partner_id: str, parent_id: str | None) -> None:
    """What can be told of a partner's parent before looking it up."""
    allowed = PARENT_LEVELS[level]
    if parent_id is None and allowed:
        raise InvalidRequest(f"A {level} needs a parent_id: the partner that bills it.")
    if parent_id is not None:
        if not allowed:
            raise InvalidRequest("A distributor stands at the top and takes no parent_id.")
        if parent_id == partner_id:
            raise InvalidRequest("A partner cannot be its own parent.")


def check_parent_level(level: PartnerLevel, parent_id: str, parent_level: str | None) -> None:
    """The parent, once looked up (`parent_level` None: there is no such partner)."""
    allowed = PARENT_LEVELS[level]
    if parent_level is None:
        raise InvalidRequest(f"Unknown parent partner {parent_id!r}; create it first.")
    if PartnerLevel(parent_level) not in allowed:
        raise InvalidRequest(
            f"A {level}'s parent must be a {' or '.join(sorted(allowed))}; "
            f"{parent_id!r} is a {parent_level}."
        )


def bills_directly(issuer_id: str, receiver_parent_id: str | None) -> bool:
    """An issuer bills a receiver only when the receiver sits directly below it."""
    return receiver_parent_id == issuer_id
