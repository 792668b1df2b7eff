"""The database schema as SQLAlchemy Core tables. Alembic migrations create it; this module is
what queries are written against. Idempotency lives here: every business key is a unique key."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Unconstrained NUMERIC keeps the scale it was given: amounts are written already rounded to the
# currency's minor units (billing.money) and read back exactly so ("64.97", "1000", "1.250");
# unit prices keep whatever precision the price list has.
Money = Numeric()
UnitPrice = Numeric()
Currency = String(3)
# The payment terms of the HTTP contract (billing.vocabulary.PaymentTerm).
PAYMENT_TERMS = "('due_upon_receipt', 'net_15', 'net_30', 'net_45', 'net_60', 'net_90')"


def _timestamps() -> list[Column[Any]]:
    return [
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


partners = Table(
    "partners",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("level", Text, nullable=False),
    Column("parent_id", Text, ForeignKey("partners.id"), nullable=True),
    Column("currency", Currency, nullable=False),
    Column("invoice_per_order", Boolean, nullable=False, server_default=text("false")),
    # The "Activate the Invoices tab" setting: may this partner consolidate summary invoices?
    Column("summary_invoices", Boolean, nullable=False, server_default=text("false")),
    # ISO 3166-1 alpha-2; the tax provider taxes a summary by its receiver's country.
    Column("country", String(2), nullable=True),
    *_timestamps(),
    # Recurring billing. As a receiver: its defaults for grouping and its credit terms.
    Column("bill_to_contact", Text, nullable=True),
    Column("payment_term", Text, nullable=False, server_default=text("'due_upon_receipt'")),
    Column("billing_day", Integer, nullable=True),
    Column("renewal_order_days", Integer, nullable=False, server_default=text("30")),
    Column("overdue_days", Integer, nullable=False, server_default=text("30")),
    # As an issuer: how the month-end run groups lines and how billing-day consolidation works.
    Column("invoice_grouping", Text, nullable=False, server_default=text("'receiver'")),
    Column("consolidation_enabled", Boolean, nullable=False, server_default=text("false")),
    Column("consolidation_days_before", Integer, nullable=False, server_default=text("5")),
    Column(
        "consolidation_include_overusage", Boolean, nullable=False, server_default=text("false")
    ),
    Column(
        "consolidation_include_domain_ssl", Boolean, nullable=False, server_default=text("false")
    ),
    # On invoice documents (issuer and receiver); how the console and PDFs write dates and
    # amounts for this partner (an IANA time zone, a CLDR locale such as de_DE).
    Column("postal_address", Text, nullable=True),
    Column("tax_id", Text, nullable=True),
    Column("time_zone", Text, nullable=False, server_default=text("'UTC'")),
    Column("locale", Text, nullable=False, server_default=text("'en_US'")),
    CheckConstraint(f"payment_term in {PAYMENT_TERMS}", name="payment_term"),
    CheckConstraint("billing_day between 1 and 31", name="billing_day"),
    CheckConstraint("renewal_order_days > 0 and overdue_days > 0", name="credit_terms"),
    CheckConstraint("invoice_grouping in ('receiver', 'vendor')", name="invoice_grouping"),
    CheckConstraint("consolidation_days_before >= 0", name="consolidation_days_before"),
    CheckConstraint("level in ('distributor', 'seller', 'customer')", name="level"),
    # Only a distributor stands at the top; everybody else is billed by the level above.
    CheckConstraint("(level = 'distributor') = (parent_id is null)", name="parent_by_level"),
)
Index("ix_partners_parent_id", partners.c.parent_id)

vendors = Table(
    "vendors",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("invoice_per_order", Boolean, nullable=False, server_default=text("false")),
    *_timestamps(),
)

offers = Table(
    "offers",
    metadata,
    Column("id", Text, primary_key=True),
    Column("vendor_id", Text, ForeignKey("vendors.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("billing_type", Text, nullable=False),
    Column("unit_price", UnitPrice, nullable=False),
    Column("currency", Currency, nullable=False),
    Column("perpetual", Boolean, nullable=False, server_default=text("false")),
    Column("term_months", Integer, nullable=False, server_default=text("12")),
    *_timestamps(),
    Column("category", Text, nullable=False, server_default=text("'standard'")),
    CheckConstraint("category in ('standard', 'domain', 'ssl')", name="category"),
    CheckConstraint("billing_type in ('one_time', 'recurring', 'usage')", name="billing_type"),
    CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    CheckConstraint("term_months > 0", name="term_months_positive"),
)

orders = Table(
    "orders",
    metadata,
    Column("order_number", Text, primary_key=True),
    Column("issuer_id", Text, ForeignKey("partners.id"), nullable=False),
    Column("customer_id", Text, ForeignKey("partners.id"), nullable=False),
    Column("status", Text, nullable=False, server_default=text("'awaiting_provisioning'")),
    # sha256 of the canonical request body: a resubmission with the same body is a no-op,
    # a different body under the same order number is refused.
    Column("request_digest", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("stuck_since", DateTime(timezone=True), nullable=True),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Column("type", Text, nullable=False, server_default=text("'sales'")),
    Column("resold", Boolean, nullable=False, server_default=text("false")),
    # A renewal order made while aligning a subscription's end date to the billing day.
    Column("aligns_end_date", Boolean, nullable=False, server_default=text("false")),
    # Paid by hand (outside any invoice): billing-day consolidation leaves it out.
    Column("paid_at", DateTime(timezone=True), nullable=True),
    Column("paid_by", Text, nullable=True),
    CheckConstraint(
        "status in ('awaiting_provisioning', 'stuck', 'completed', 'open')", name="status"
    ),
    CheckConstraint("type in ('sales', 'renewal', 'upgrade', 'overusage')", name="type"),
)
# The orders list's keyset: every order's, an issuer's and a customer's (which also serve
# lookups by either), and the waiting orders' (a few among many completed; order recovery
# pages through them).
Index("ix_orders_created", orders.c.created_at, orders.c.order_number)
Index("ix_orders_issuer_created", orders.c.issuer_id, orders.c.created_at, orders.c.order_number)
Index(
    "ix_orders_customer_created", orders.c.customer_id, orders.c.created_at, orders.c.order_number
)
Index(
    "ix_orders_waiting",
    orders.c.created_at,
    orders.c.order_number,
    postgresql_where=text("status in ('awaiting_provisioning', 'stuck')"),
)
Index("ix_orders_stuck", orders.c.status, postgresql_where=text("status = 'stuck'"))

order_items = Table(
    "order_items",
    metadata,
    Column("order_number", Text, ForeignKey("orders.order_number"), nullable=False),
    Column("item_id", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("offer_id", Text, ForeignKey("offers.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("provisioning", Text, nullable=False, server_default=text("'pending'")),
    Column("provisioning_reason", Text, nullable=True),
    Column("provisioned_at", DateTime(timezone=True), nullable=True),
    Column("reported_at", DateTime(timezone=True), nullable=True),
    # Null when the order system reported the outcome; the operator's name when recorded by hand.
    Column("reported_by", Text, nullable=True),
    Column("invoice_frequency", Text, nullable=True),
    # Invoice grouping fields: empty ones default from the account at run time.
    Column("invoice_group_number", Text, nullable=True),
    Column("bill_to_contact", Text, nullable=True),
    Column("payment_term", Text, nullable=True),
    PrimaryKeyConstraint("order_number", "item_id"),
    CheckConstraint(f"payment_term in {PAYMENT_TERMS}", name="payment_term"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("provisioning in ('pending', 'succeeded', 'failed')", name="provisioning"),
    CheckConstraint(
        "invoice_frequency is null or invoice_frequency in ('per_order', 'monthly')",
        name="invoice_frequency",
    ),
)

invoice_number_sequences = Table(
    "invoice_number_sequences",
    metadata,
    # One row per issuer and series; UPDATE ... RETURNING under the row lock keeps numbers gapless
    # because the increment commits or rolls back with the invoice that took it.
    Column("issuer_id", Text, ForeignKey("partners.id"), nullable=False),
    Column("series", Text, nullable=False),
    Column("last_number", BigInteger, nullable=False),
    PrimaryKeyConstraint("issuer_id", "series"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=func.gen_random_uuid()),
    Column("number", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("issuer_id", Text, ForeignKey("partners.id"), nullable=False),
    Column("receiver_id", Text, ForeignKey("partners.id"), nullable=True),
    Column("order_number", Text, ForeignKey("orders.order_number"), nullable=True),
    # Null only on a summary invoice holding several currencies (see amounts_unless_summary).
    Column("currency", Currency, nullable=True),
    Column("subtotal", Money, nullable=True),
    Column("tax", Money, nullable=False, server_default=text("0")),
    Column("total", Money, nullable=True),
    Column("issued_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("bill_to_contact", Text, nullable=True),
    Column("payment_term", Text, nullable=True),
    Column("due_date", Date, nullable=True),
    Column("invoice_group_number", Text, nullable=True),
    Column("vendor_id", Text, ForeignKey("vendors.id"), nullable=True),
    # Month-end runs: the period "YYYY-MM"; consolidation: the billing date "YYYY-MM-DD".
    Column("period", Text, nullable=True),
    # The grouping key the run computed; with issuer, type and period it names one invoice.
    Column("grouping_key", Text, nullable=True),
    UniqueConstraint("issuer_id", "number"),
    # The round of the run that made it (billing_runs.round); 1 for everything else.
    Column("run_round", Integer, nullable=False, server_default=text("1")),
)
# One round of a period (or billing day) cannot make a second invoice of a group; a later
# round invoices only the group's lines that arrived since.
Index(
    "uq_invoices_run_group",
    invoices.c.issuer_id,
    invoices.c.type,
    invoices.c.period,
    invoices.c.grouping_key,
    invoices.c.run_round,
    unique=True,
    postgresql_where=text("grouping_key is not null"),
)
# The rule "one invoice per order" is the database's, not only the workflow's.
Index(
    "uq_invoices_per_order",
    invoices.c.order_number,
    unique=True,
    postgresql_where=text("type = 'per_order'"),
)
Index("ix_invoices_issuer_created", invoices.c.issuer_id, invoices.c.created_at)
Index("ix_invoices_receiver_created", invoices.c.receiver_id, invoices.c.created_at)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=func.gen_random_uuid()),
    Column("issuer_id", Text, ForeignKey("partners.id"), nullable=False),
    Column("customer_id", Text, ForeignKey("partners.id"), nullable=False),
    Column("offer_id", Text, ForeignKey("offers.id"), nullable=False),
    Column("order_number", Text, nullable=False),
    Column("item_id", Text, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("perpetual", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("invoice_group_number", Text, nullable=True),
    Column("bill_to_contact", Text, nullable=True),
    Column("payment_term", Text, nullable=True),
    # The open renewal order of the current term; cleared when an invoice takes it and the
    # subscription is renewed. At most one renewal per term.
    Column("renewal_order_number", Text, nullable=True),
    ForeignKeyConstraint(
        ["order_number", "item_id"], ["order_items.order_number", "order_items.item_id"]
    ),
    CheckConstraint(f"payment_term in {PAYMENT_TERMS}", name="payment_term"),
    UniqueConstraint("order_number", "item_id"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)
Index("ix_subscriptions_customer_id", subscriptions.c.customer_id)

billing_lines = Table(
    "billing_lines",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    # The business key of the charge ("order:<number>:<item>", ...): a line is written once.
    Column("charge_key", Text, nullable=False, unique=True),
    Column("issuer_id", Text, ForeignKey("partners.id"), nullable=False),
    Column("receiver_id", Text, ForeignKey("partners.id"), nullable=False),
    Column("vendor_id", Text, ForeignKey("vendors.id"), nullable=False),
    Column("offer_id", Text, ForeignKey("offers.id"), nullable=False),
    Column("order_number", Text, nullable=True),
    Column("item_id", Text, nullable=True),
    Column("subscription_id", UUID(as_uuid=True), ForeignKey("subscriptions.id"), nullable=True),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", UnitPrice, nullable=False),
    Column("amount", Money, nullable=False),
    Column("currency", Currency, nullable=False),
    Column("invoice_frequency", Text, nullable=False),
    # Deferrable: a billing run links lines to invoices it inserts later in the transaction.
    Column(
        "invoice_id",
        UUID(as_uuid=True),
        ForeignKey("invoices.id", deferrable=True, initially="IMMEDIATE"),
        nullable=True,
    ),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("invoice_group_number", Text, nullable=True),
    Column("bill_to_contact", Text, nullable=True),
    Column("payment_term", Text, nullable=True),
    Column("charge_kind", Text, nullable=True),
    CheckConstraint("invoice_frequency in ('per_order', 'monthly')", name="invoice_frequency"),
)
# Every index here is one a query plan uses; each costs every month-end run a write per line.
# The API's order-number sort (`coalesce` so lines without an order sort first, never NULL).
Index(
    "ix_billing_lines_issuer_order_key",
    billing_lines.c.issuer_id,
    func.coalesce(billing_lines.c.order_number, literal_column("''")),
    billing_lines.c.id,
)
# The API's default page (and the console's): one issuer's lines, oldest first, in pages.
Index(
    "ix_billing_lines_issuer_created",
    billing_lines.c.issuer_id,
    billing_lines.c.created_at,
    billing_lines.c.id,
)
# The API's order-number search (substring, any case).
Index(
    "ix_billing_lines_order_number_trgm",
    billing_lines.c.order_number,
    postgresql_using="gin",
    postgresql_ops={"order_number": "gin_trgm_ops"},
    postgresql_where=text("order_number is not null"),
)
# An invoice's lines; uninvoiced lines are left out, they are the month-end run's to find.
Index(
    "ix_billing_lines_invoice_id",
    billing_lines.c.invoice_id,
    postgresql_where=text("invoice_id is not null"),
)
# Runs page through receivers that still have uninvoiced lines. Vendor-grouped runs (a few
# vendors per issuer) and the schedule's issuer list (once a month) read the table instead.
Index(
    "ix_billing_lines_unbilled_receiver",
    billing_lines.c.issuer_id,
    billing_lines.c.receiver_id,
    postgresql_where=text("invoice_id is null"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("detail", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
)
Index("ix_audit_log_subject", audit_log.c.subject)

billing_runs = Table(
    "billing_runs",
    metadata,
    # The workflow id: billing-run-<issuer>-<period> or consolidation-<as_of>.
    Column("run_id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("issuer_id", Text, ForeignKey("partners.id"), nullable=True),
    Column("period", Text, nullable=False),
    # The Temporal run id of the execution the counters belong to: a rerun starts from zero,
    # a retried activity of the same execution does not.
    Column("execution_id", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("customers_total", Integer, nullable=False, server_default=text("0")),
    Column("customers_done", Integer, nullable=False, server_default=text("0")),
    Column("invoices_created", Integer, nullable=False, server_default=text("0")),
    Column("lines_invoiced", Integer, nullable=False, server_default=text("0")),
    Column("renewal_orders_created", Integer, nullable=False, server_default=text("0")),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    # How many executions the run id has had: a rerun of a finished period is round 2, and the
    # invoices it makes for lines that arrived since are that round's.
    Column("round", Integer, nullable=False, server_default=text("1")),
    CheckConstraint("kind in ('month_end', 'consolidation')", name="kind"),
    CheckConstraint("status in ('running', 'completed', 'failed')", name="status"),
)
# --- Summary invoices ------------------------------------------------------------------------
# A summary invoice is an `invoices` row of type 'summary' (so the receiver finds it among its
# incoming invoices), one per receiver and request. Its currency and amounts are null when it
# holds several currencies: those live per currency in summary_invoice_totals, never converted.
# Allow that for summaries only.
CheckConstraint(
    "type = 'summary' or (currency is not null and subtotal is not null and total is not null)",
    name="amounts_unless_summary",
    table=invoices,
)

summary_requests = Table(
    "summary_requests",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=func.gen_random_uuid()),
    Column("issuer_id", Text, ForeignKey("partners.id"), nullable=False),
    Column("invoice_date", Date, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'in_progress'")),
    Column("requested_by", Text, nullable=False),
    Column("invoices_added", Integer, nullable=False),
    # [{invoice_id, reason, detail}] as answered to the administrator.
    Column("invoices_skipped", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status in ('in_progress', 'complete')", name="status"),
)
Index(
    "ix_summary_requests_issuer_created",
    summary_requests.c.issuer_id,
    summary_requests.c.created_at,
)

summary_request_invoices = Table(
    "summary_request_invoices",
    metadata,
    # The invoices a request accepted; the workflow's activity reads them set-based from here,
    # so a request of 10,000 invoices never travels through workflow history.
    Column("request_id", UUID(as_uuid=True), ForeignKey("summary_requests.id"), nullable=False),
    Column("invoice_id", UUID(as_uuid=True), ForeignKey("invoices.id"), nullable=False),
    PrimaryKeyConstraint("request_id", "invoice_id"),
)

summary_invoices = Table(
    "summary_invoices",
    metadata,
    Column("invoice_id", UUID(as_uuid=True), ForeignKey("invoices.id"), primary_key=True),
    Column("request_id", UUID(as_uuid=True), ForeignKey("summary_requests.id"), nullable=False),
    Column("receiver_id", Text, ForeignKey("partners.id"), nullable=False),
    Column("invoice_date", Date, nullable=False),
    # The tax-sync state, kept apart from the invoice's status (Lago's lesson).
    Column("state", Text, nullable=False, server_default=text("'New'")),
    Column("reference_code", Text, nullable=True),
    Column("tax_failure_reason", Text, nullable=True),
    Column("tax_attempts", Integer, nullable=False, server_default=text("0")),
    # The tax invoice as it read when tax sync completed (parties, lines, totals, reference
    # code): the PDF's only input, so the partners' later edits never reach a tax invoice.
    Column("tax_invoice", JSONB, nullable=True),
    # Rendered from tax_invoice on the first download, then kept.
    Column("pdf", LargeBinary, nullable=True),
    Column("state_changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # One summary per receiver and request: a rerun of the consolidation writes nothing new.
    UniqueConstraint("request_id", "receiver_id"),
    CheckConstraint("state in ('New', 'TaxInProgress', 'TaxCompleted', 'TaxFailed')", name="state"),
    CheckConstraint("state <> 'TaxCompleted' or reference_code is not null", name="reference"),
)
Index("ix_summary_invoices_state", summary_invoices.c.state)

summary_invoice_lines = Table(
    "summary_invoice_lines",
    metadata,
    # The primary key is the rule "no billing line is ever consolidated twice", in the database:
    # two racing requests cannot both insert the same line.
    Column("billing_line_id", BigInteger, ForeignKey("billing_lines.id"), primary_key=True),
    Column(
        "summary_invoice_id",
        UUID(as_uuid=True),
        ForeignKey("summary_invoices.invoice_id"),
        nullable=False,
    ),
    Column("source_invoice_id", UUID(as_uuid=True), ForeignKey("invoices.id"), nullable=False),
)
Index("ix_summary_invoice_lines_summary", summary_invoice_lines.c.summary_invoice_id)
Index("ix_summary_invoice_lines_source", summary_invoice_lines.c.source_invoice_id)

summary_invoice_totals = Table(
    "summary_invoice_totals",
    metadata,
    Column(
        "summary_invoice_id",
        UUID(as_uuid=True),
        ForeignKey("summary_invoices.invoice_id"),
        nullable=False,
    ),
    Column("currency", Currency, nullable=False),
    Column("subtotal", Money, nullable=False),
    Column("tax", Money, nullable=False, server_default=text("0")),
    Column("total", Money, nullable=False),
    PrimaryKeyConstraint("summary_invoice_id", "currency"),
)

tax_documents = Table(
    "tax_documents",
    metadata,
    # Our record of the provider's document: exactly one per summary invoice (the primary key),
    # whose code is the summary invoice id, so retries adjust it instead of adding another.
    Column(
        "summary_invoice_id",
        UUID(as_uuid=True),
        ForeignKey("summary_invoices.invoice_id"),
        primary_key=True,
    ),
    Column("provider", Text, nullable=False),
    Column("document_code", Text, nullable=False, unique=True),
    Column("reference_code", Text, nullable=False),
    Column("committed", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

partner_tokens = Table(
    "partner_tokens",
    metadata,
    # Only the SHA-256 of a token is stored; the token itself is shown once, when issued.
    Column("token_hash", Text, primary_key=True),
    Column("partner_id", Text, ForeignKey("partners.id"), nullable=False),
    Column("label", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Partner access: what the token may do, until when, whether it was revoked, when last used.
    Column(
        "id",
        UUID(as_uuid=True),
        nullable=False,
        unique=True,
        server_default=text("gen_random_uuid()"),
    ),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    CheckConstraint(
        "scopes <@ array['read', 'orders', 'billing-admin'] and cardinality(scopes) > 0",
        name="scopes",
    ),
)
Index("ix_partner_tokens_partner_id", partner_tokens.c.partner_id)

# --- Delta invoicing with accounting periods -------------------------------------------------
# An issuer with delta invoicing bills its recurring subscriptions per calendar month through
# pre-invoice generations: each writes only the difference between what a month should cost
# and what its lines already bill (billing.delta_invoicing), into pre-invoices that belong to
# the accounting period of the issuer's legal entity that contains the month.

partners.append_column(Column("delta_invoicing_enabled_at", DateTime(timezone=True), nullable=True))

partner_licences = Table(
    "partner_licences",
    metadata,
    # Licence tokens an administrator granted a partner; DELTA_INVOICING unlocks delta invoicing.
    Column("partner_id", Text, ForeignKey("partners.id"), nullable=False),
    Column("token", Text, nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("partner_id", "token"),
)

legal_entities = Table(
    "legal_entities",
    metadata,
    Column("id", Text, primary_key=True),
    Column("issuer_id", Text, ForeignKey("partners.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    *_timestamps(),
)
Index("ix_legal_entities_issuer_id", legal_entities.c.issuer_id)

accounting_periods = Table(
    "accounting_periods",
    metadata,
    Column("id", Text, primary_key=True),
    Column("issuer_id", Text, ForeignKey("partners.id"), nullable=False),
    Column("legal_entity_id", Text, ForeignKey("legal_entities.id"), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),  # inclusive
    Column("invoicing_closed", Boolean, nullable=False, server_default=text("false")),
    *_timestamps(),
    CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
)
# Overlaps are refused under the legal entity's row lock (billing.store.accounting_periods).
Index(
    "ix_accounting_periods_entity_start",
    accounting_periods.c.legal_entity_id,
    accounting_periods.c.starts_on,
)
Index("ix_accounting_periods_issuer_id", accounting_periods.c.issuer_id)

# A subscription's own monthly unit price (null: the offer's), and when it was cancelled.
subscriptions.append_column(Column("unit_price", UnitPrice, nullable=True))
subscriptions.append_column(Column("cancelled_at", DateTime(timezone=True), nullable=True))
# Billed per month by pre-invoice generation: a recurring subscription its issuer sold with
# delta invoicing on. Subscriptions sold before stay with their order lines and renewals, so
# switching delta invoicing on bills nothing a second time.
subscriptions.append_column(
    Column("billed_by_delta", Boolean, nullable=False, server_default=text("false"))
)
# Generations page through the receivers of an issuer's delta-billed subscriptions.
Index(
    "ix_subscriptions_delta_receivers",
    subscriptions.c.issuer_id,
    subscriptions.c.customer_id,
    postgresql_where=text("billed_by_delta"),
)
# What lets a generation skip subscriptions that cannot have a delta: a trigger (migration
# 0005) counts every change of quantity, unit price, start or end in `financial_version`; a
# generation records the version and as-of day it billed. Unchanged since, and no month newer
# than that day's due: nothing to write.
subscriptions.append_column(
    Column("financial_version", Integer, nullable=False, server_default=text("0"))
)
# Beside the subscription, not on it: a generation writes it for every subscription it bills,
# and an update of the subscription's row would rewrite each of its indexes. No foreign key:
# only generation writes it, in the transaction that reads the subscription, and subscriptions
# are never deleted.
subscription_billed = Table(
    "subscription_billed",
    metadata,
    Column("subscription_id", UUID(as_uuid=True), primary_key=True),
    Column("billed_version", Integer, nullable=False),
    Column("billed_as_of", Date, nullable=False),
)

pre_invoice_runs = Table(
    "pre_invoice_runs",
    metadata,
    # The workflow id: pre-invoice-run-<issuer>-<as_of>-<n>.
    Column("run_id", Text, primary_key=True),
    Column("issuer_id", Text, ForeignKey("partners.id"), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("n", Integer, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'running'")),
    Column("receivers_total", Integer, nullable=False, server_default=text("0")),
    Column("receivers_done", Integer, nullable=False, server_default=text("0")),
    Column("pre_invoices_created", Integer, nullable=False, server_default=text("0")),
    Column("lines_written", Integer, nullable=False, server_default=text("0")),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    # The month-end workflow that asked for it: a retried request finds its run again.
    Column("requested_by", Text, nullable=True),
    UniqueConstraint("issuer_id", "as_of", "n"),
    UniqueConstraint("requested_by", "issuer_id"),
    CheckConstraint("status in ('running', 'completed', 'failed')", name="status"),
)
# The generations list, newest first, read backwards along one of these and stopped after a
# page: an issuer's, and every issuer's (the administrator's).
Index(
    "ix_pre_invoice_runs_issuer_started",
    pre_invoice_runs.c.issuer_id,
    pre_invoice_runs.c.started_at,
    pre_invoice_runs.c.run_id,
)
Index("ix_pre_invoice_runs_started", pre_invoice_runs.c.started_at, pre_invoice_runs.c.run_id)

# Pre-invoices are invoices of type 'pre_invoice', 'open' until finalized ('final'). They carry
# no grouping key: the month-end run's unique group does not apply to them.
invoices.append_column(
    Column("accounting_period_id", Text, ForeignKey("accounting_periods.id"), nullable=True)
)
invoices.append_column(Column("pre_invoice_run_id", Text, nullable=True))
# The service month of a pre-invoice made before its accounting period existed; the next
# generation assigns the period that will hold that month.
invoices.append_column(Column("service_month", Date, nullable=True))
invoices.append_column(Column("finalized_at", DateTime(timezone=True), nullable=True))
# A retried generation step finds the open pre-invoice it already made for a receiver and
# period; one finalized meanwhile gets an open one beside it. Triggers (migration 0005) keep a
# final pre-invoice unchanged and refuse lines into anything but an open pre-invoice.
Index(
    "uq_invoices_pre_invoice",
    invoices.c.pre_invoice_run_id,
    invoices.c.receiver_id,
    invoices.c.currency,
    func.coalesce(invoices.c.accounting_period_id, ""),
    func.coalesce(invoices.c.service_month, text("'0001-01-01'::date")),
    unique=True,
    postgresql_where=text("type = 'pre_invoice' and status = 'open'"),
)
Index(
    "ix_invoices_open_pre_invoices",
    invoices.c.issuer_id,
    invoices.c.accounting_period_id,
    postgresql_where=text("type = 'pre_invoice' and status = 'open'"),
)

pre_invoice_lines = Table(
    "pre_invoice_lines",
    metadata,
    # One line of a pre-invoice: what one generation added to (or took from) one
    # subscription's month. Its receiver, offer and order come from the subscription.
    # No foreign keys: only pre-invoice generation writes these rows, in the transaction that
    # reads the subscription and inserts the pre-invoice they name, and nothing deletes either.
    # Their per-row checks cost more than half of a first generation (measured with
    # bench/delta_generation: 23.7 s with them, 9.8 s without, 40,000 subscriptions).
    Column("subscription_id", UUID(as_uuid=True), nullable=False),
    # The service period: the calendar month [period_start, period_end].
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    # 1 for the month's first line; above 1 for a difference to what was invoiced before.
    Column("sequence", Integer, nullable=False),
    Column("invoice_id", UUID(as_uuid=True), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", UnitPrice, nullable=False),
    Column("amount", Money, nullable=False),  # signed
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The rule "a delta is written once" in the database: two generations that computed the
    # same next line of a subscription's month cannot both insert it, whatever locks they took.
    PrimaryKeyConstraint("subscription_id", "period_start", "sequence"),
    CheckConstraint("sequence > 0", name="sequence_positive"),
)
Index("ix_pre_invoice_lines_invoice_id", pre_invoice_lines.c.invoice_id)

# --- Outgoing webhooks ------------------------------------------------------------------------
# A partner's endpoints, and the outbox: one row per (event, endpoint), written in the same
# transaction that makes the fact true, so an event exists exactly when its fact does.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("partner_id", Text, ForeignKey("partners.id"), nullable=False),
    Column("url", Text, nullable=False),
    Column("events", ARRAY(Text), nullable=False),
    # The HMAC key the receiver checks signatures with; needed in clear to sign.
    Column("secret", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ix_webhook_endpoints_partner_id", webhook_endpoints.c.partner_id)

webhook_events = Table(
    "webhook_events",
    metadata,
    # The event id the receiver deduplicates by.
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("endpoint_id", UUID(as_uuid=True), ForeignKey("webhook_endpoints.id"), nullable=False),
    Column("type", Text, nullable=False),
    # What the fact is about (order number, summary invoice id, run id): one event per fact.
    Column("subject", Text, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    # Each redelivery asked for by an operator is a new generation (a new delivery workflow).
    Column("generation", Integer, nullable=False, server_default=text("0")),
    # Set once a delivery workflow of the current generation has been started.
    Column("dispatched_at", DateTime(timezone=True), nullable=True),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("endpoint_id", "type", "subject"),
    CheckConstraint("status in ('pending', 'delivered', 'failed')", name="status"),
)
Index(
    "ix_webhook_events_undispatched",
    webhook_events.c.created_at,
    postgresql_where=text("dispatched_at is null"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    # One row per HTTP attempt: the delivery log.
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", UUID(as_uuid=True), ForeignKey("webhook_events.id"), nullable=False),
    Column("generation", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False),
    Column("succeeded", Boolean, nullable=False),
)
Index("ix_webhook_deliveries_event_id", webhook_deliveries.c.event_id)
