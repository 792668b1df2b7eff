"""The engine's shared terms (issuer, receiver, billing line, invoice frequency, ...), as string
enums so they read the same in JSON, in the database and in the Temporal UI."""

from __future__ import annotations

from enum import StrEnum


class PartnerLevel(StrEnum):
    distributor = "distributor"
    seller = "seller"
    customer = "customer"


class BillingType(StrEnum):
    one_time = "one_time"
    recurring = "recurring"
    usage = "usage"


class Outcome(StrEnum):
    """A provisioning outcome as the order system reports it."""

    succeeded = "succeeded"
    failed = "failed"


class ProvisioningState(StrEnum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


class InvoiceFrequency(StrEnum):
    per_order = "per_order"
    monthly = "monthly"


class OrderStatus(StrEnum):
    awaiting_provisioning = "awaiting_provisioning"
    stuck = "stuck"
    completed = "completed"
    # Renewal orders the engine generates stay open, whatever the balance or credit limit,
    # until an invoice takes them.
    open = "open"


class InvoiceType(StrEnum):
    per_order = "per_order"
    periodic = "periodic"  # the month-end run
    consolidated = "consolidated"  # billing-day consolidation
    summary = "summary"
    pre_invoice = "pre_invoice"  # delta invoicing: an invoice in preparation


class InvoiceStatus(StrEnum):
    verified = "verified"


class PaymentTerm(StrEnum):
    due_upon_receipt = "due_upon_receipt"
    net_15 = "net_15"
    net_30 = "net_30"
    net_45 = "net_45"
    net_60 = "net_60"
    net_90 = "net_90"


class InvoiceGrouping(StrEnum):
    """An issuer's month-end grouping key: Zuora's per receiver, or AppXite's per vendor."""

    receiver = "receiver"
    vendor = "vendor"


class OrderType(StrEnum):
    sales = "sales"
    renewal = "renewal"
    upgrade = "upgrade"
    overusage = "overusage"


class OfferCategory(StrEnum):
    standard = "standard"
    domain = "domain"
    ssl = "ssl"


class ChargeKind(StrEnum):
    """What a billing line charges for, as billing-day consolidation tells them apart.
    Fixed when the line is written; the settings that include or exclude a kind are read at run
    time."""

    initial_sale = "initial_sale"
    upgrade = "upgrade"
    resold = "resold"
    renewal = "renewal"
    domain_ssl_renewal = "domain_ssl_renewal"
    alignment_renewal = "alignment_renewal"
    overusage = "overusage"


class RunKind(StrEnum):
    month_end = "month_end"
    consolidation = "consolidation"


class RunStatus(StrEnum):
    running = "running"
    completed = "completed"
    failed = "failed"


class SummaryInvoiceState(StrEnum):
    """A summary invoice's tax-sync state, worded as administrators see it in the Invoices tab."""

    new = "New"
    tax_in_progress = "TaxInProgress"
    tax_completed = "TaxCompleted"
    tax_failed = "TaxFailed"


class SummaryRequestStatus(StrEnum):
    in_progress = "in_progress"
    complete = "complete"


class SkipReason(StrEnum):
    """Why a selected invoice is left out of a summary-invoice request."""

    already_consolidated = "already_consolidated"
    # Kept only so requests recorded before it was folded into not_found still read back.
    wrong_issuer = "wrong_issuer"
    not_found = "not_found"
    not_consolidable = "not_consolidable"
    # Held by another request that has not made its summaries yet.
    being_consolidated = "being_consolidated"


class TokenScope(StrEnum):
    """What a partner's API token may do. `read` reads what the partner may see; `orders` is
    what an order system needs (submit orders, report provisioning, record outcomes and
    payments); `billing-admin` runs the partner's billing (summary invoices, tax-sync retries)."""

    read = "read"
    orders = "orders"
    billing_admin = "billing-admin"


class PreInvoiceStatus(StrEnum):
    """A pre-invoice is open (generations may add to its period) until finalized."""

    open = "open"
    final = "final"
