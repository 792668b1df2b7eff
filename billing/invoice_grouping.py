"""Which billing lines share an invoice in the month-end run.

By default Zuora's key: lines with the same receiver, invoice group number, bill-to contact,
payment term and currency make one invoice. The grouping fields come from the subscription or
order item; empty ones default from the receiver's account. An issuer may instead group per
vendor (and period: a run covers one period), as AppXite's outgoing billings do: one invoice
whose lines name several receivers, later split per receiver by summary invoices.

The run does this in SQL for speed (billing.store.month_end.run_key_sql); these functions are
the rule it implements, and tests/rules runs both on generated lines to check they agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from billing.vocabulary import InvoiceGrouping, PaymentTerm


@dataclass(frozen=True)
class AccountDefaults:
    bill_to_contact: str | None
    payment_term: PaymentTerm


@dataclass(frozen=True)
class LineFields:
    receiver_id: str
    vendor_id: str
    currency: str
    invoice_group_number: str | None = None
    bill_to_contact: str | None = None
    payment_term: PaymentTerm | None = None


@dataclass(frozen=True)
class GroupingKey:
    """What one invoice of a run stands for. Fields the grouping does not use are None."""

    currency: str
    receiver_id: str | None = None
    vendor_id: str | None = None
    invoice_group_number: str | None = None
    bill_to_contact: str | None = None
    payment_term: PaymentTerm | None = None


def with_defaults(line: LineFields, account: AccountDefaults) -> LineFields:
    """Empty bill-to contact and payment term come from the account; an empty invoice group
    number stays empty (the line groups with the account's other ungrouped lines)."""
    return LineFields(
        receiver_id=line.receiver_id,
        vendor_id=line.vendor_id,
        currency=line.currency,
        invoice_group_number=line.invoice_group_number or None,
        bill_to_contact=line.bill_to_contact or account.bill_to_contact,
        payment_term=line.payment_term or account.payment_term,
    )


def grouping_key(
    line: LineFields, account: AccountDefaults, grouping: InvoiceGrouping
) -> GroupingKey:
    if grouping is InvoiceGrouping.vendor:
        return GroupingKey(currency=line.currency, vendor_id=line.vendor_id)
    resolved = with_defaults(line, account)
    return GroupingKey(
        currency=resolved.currency,
        receiver_id=resolved.receiver_id,
        invoice_group_number=resolved.invoice_group_number,
        bill_to_contact=resolved.bill_to_contact,
        payment_term=resolved.payment_term,
    )


def stored_key(key: GroupingKey) -> str:
    """The key as the invoices table keeps it (unique per issuer, type and period). The SQL of
    the run builds the same string with concat_ws over the same fields in the same order."""
    fields = (
        key.receiver_id,
        key.vendor_id,
        key.invoice_group_number,
        key.bill_to_contact,
        key.payment_term.value if key.payment_term else None,
        key.currency,
    )
    return "|".join(
        "" if value is None else value.replace("\\", "\\\\").replace("|", "\\|") for value in fields
    )
