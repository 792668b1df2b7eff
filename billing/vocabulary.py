"""The engine's shared terms (see the brief's vocabulary), as string enums so they read the same
in JSON, in the database and in the Temporal UI."""

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


class InvoiceType(StrEnum):
    per_order = "per_order"
    summary = "summary"


class InvoiceStatus(StrEnum):
    verified = "verified"


class SummaryInvoiceState(StrEnum):
    """A summary invoice's tax-sync state, worded as seed 001 shows it."""

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
    wrong_issuer = "wrong_issuer"
    not_found = "not_found"
    not_consolidable = "not_consolidable"
