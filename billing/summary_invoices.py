"""Summary invoices: which selected invoices a request adds, and what people read.

Pure functions: the store feeds them facts read from the database.

Consolidable: an invoice is added when it was issued by the requesting issuer, is `verified`,
is not itself a summary, bills only receivers one level below the issuer (a seller consolidates
for its customers, a distributor for its sellers) and still has at least one billing line that
no summary invoice holds, and no other request still at work holds it. Otherwise it is skipped
with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from billing.contracts.summary_invoices import SkippedInvoice
from billing.vocabulary import InvoiceStatus, InvoiceType, SkipReason

IN_PROGRESS_MESSAGE = "Invoices are being created. Please wait."
COMPLETE_MESSAGE = "Invoice creation is complete. View invoices in the Invoices tab."
CODE_SERIES = "SUM"


@dataclass(frozen=True)
class SourceFacts:
    """What the database knows about one selected invoice."""

    invoice_id: str
    number: str
    issuer_id: str
    type: str
    status: str
    lines: int
    unconsolidated_lines: int
    lines_beyond_one_level: int
    # The request, still in progress, that already holds this invoice.
    claimed_by: str | None = None


def classify(
    issuer_id: str, requested: Iterable[str], facts: dict[str, SourceFacts]
) -> tuple[list[str], list[SkippedInvoice]]:
    """Split the requested invoice ids into those added and those skipped, keeping the order
    the administrator selected them in."""
    added: list[str] = []
    skipped: list[SkippedInvoice] = []

    def skip(invoice_id: str, reason: SkipReason, detail: str) -> None:
        skipped.append(SkippedInvoice(invoice_id=invoice_id, reason=reason, detail=detail))

    for invoice_id in requested:
        fact = facts.get(invoice_id)
        if fact is None or fact.issuer_id != issuer_id:
            # Another issuer's invoice reads exactly like an unknown id: the answer must not
            # confirm that it exists, nor leak its number or issuer.
            skip(invoice_id, SkipReason.not_found, "No invoice with this id.")
        elif fact.type == InvoiceType.summary:
            skip(
                invoice_id,
                SkipReason.not_consolidable,
                f"Invoice {fact.number} is a summary invoice itself.",
            )
        elif fact.status != InvoiceStatus.verified:
            skip(
                invoice_id,
                SkipReason.not_consolidable,
                f"Invoice {fact.number} is {fact.status}; only verified invoices consolidate.",
            )
        elif fact.lines == 0:
            skip(invoice_id, SkipReason.not_consolidable, f"Invoice {fact.number} has no lines.")
        elif fact.lines_beyond_one_level:
            skip(
                invoice_id,
                SkipReason.not_consolidable,
                f"Invoice {fact.number} bills receivers that are not directly below "
                f"{issuer_id}; consolidation reaches one level down only.",
            )
        elif fact.unconsolidated_lines == 0:
            skip(
                invoice_id,
                SkipReason.already_consolidated,
                f"Invoice {fact.number} is already consolidated.",
            )
        elif fact.claimed_by is not None:
            skip(
                invoice_id,
                SkipReason.being_consolidated,
                f"Invoice {fact.number} is being consolidated by request {fact.claimed_by}.",
            )
        else:
            added.append(invoice_id)
    return added, skipped


def summary_marker(codes: Iterable[str]) -> str | None:
    """What a source invoice shows in its Summary Invoice column: `Created (<code>)` when its
    lines went into one summary, `Multiple Created` when into several, nothing before."""
    distinct = sorted(set(codes))
    if not distinct:
        return None
    if len(distinct) == 1:
        return f"Created ({distinct[0]})"
    return "Multiple Created"
