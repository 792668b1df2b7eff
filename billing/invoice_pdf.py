"""Invoice documents as PDF: a layout an accounts-payable clerk accepts, set in Noto Sans (a
Unicode TrueType font shipped as a Python package) so every name prints as written, amounts
right-aligned and formatted per currency and locale by Babel, page numbers on every page.

The same document renders to the same bytes: the PDF is dated by the invoice date, not the
clock.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time
from pathlib import Path

import fontpkg_noto_sans
from babel.dates import format_date
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import TextMode

from billing.invoice_document import InvoiceDocument, Party, percent
from billing.money import format_money, format_unit_price

FONT = "NotoSans"
FONT_FILE = Path(fontpkg_noto_sans.ROOT) / "files" / "NotoSans[wdth,wght].ttf"
# Tables of the variable font that no invoice uses: the variations (the PDF shows the default
# instance, regular weight and width, whose outlines are the glyf table itself) and the OpenType
# layout tables (fpdf drops them from every embedded subset; it lays text out without them).
# Reading and subsetting them was most of the cost of printing an invoice.
UNUSED_FONT_TABLES = ("fvar", "gvar", "avar", "HVAR", "MVAR", "STAT", "GSUB", "GPOS", "GDEF")
_font_lock = threading.Lock()
_font_file: Path | None = None
# fpdf and fontTools are pure Python, so renders on several threads only take turns holding the
# GIL: two at a time print as many invoices per second as sixteen, and leave the worker's other
# threads (workflow tasks, pollers, database steps) their share of it instead of a sixteenth.
RENDERS_AT_ONCE = 2
_renders = threading.BoundedSemaphore(RENDERS_AT_ONCE)
PAYMENT_TERMS = {
    "due_upon_receipt": "Due upon receipt",
    "net_15": "Net 15 days",
    "net_30": "Net 30 days",
    "net_45": "Net 45 days",
    "net_60": "Net 60 days",
    "net_90": "Net 90 days",
}
# Description, source invoice, quantity, unit price, tax rate, amount (mm; A4 is 210 wide).
COLUMNS = (
    ("Description", 62, "L"),
    ("Source invoice", 28, "L"),
    ("Qty", 14, "R"),
    ("Unit price", 28, "R"),
    ("Tax rate", 18, "R"),
    ("Amount", 30, "R"),
)


def invoice_font_file() -> Path:
    """Noto Sans without the tables invoices never use, written once per font version to the
    temporary directory (atomically, so processes printing at the same time agree)."""
    global _font_file
    with _font_lock:
        if _font_file is None or not _font_file.exists():
            source = FONT_FILE.read_bytes()
            digest = hashlib.sha256(source).hexdigest()[:16]
            target = Path(tempfile.gettempdir()) / f"billing-{FONT}-{digest}.ttf"
            if not target.exists():
                font = TTFont(FONT_FILE, recalcTimestamp=False, lazy=True)
                for tag in UNUSED_FONT_TABLES:
                    if tag in font:
                        del font[tag]
                partial = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
                font.save(partial)
                os.replace(partial, target)
            _font_file = target
        return _font_file


def _font(pdf: FPDF, size: float) -> None:
    pdf.set_font(FONT, size=size)


@contextmanager
def _bold(pdf: FPDF, on: bool = True) -> Iterator[None]:
    """The variable font's default instance is its regular weight, and making a bold instance
    takes seconds; bold text is drawn by stroking its outlines as well as filling them, in a
    saved graphics state so the text after it is regular again."""
    if not on:
        yield
        return
    with pdf.local_context(text_mode=TextMode.FILL_STROKE, line_width=pdf.font_size * 0.035):
        yield


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-14)
        _font(self, 8)
        self.cell(0, 6, f"{self.footer_text}   Page {self.page_no()} of {{nb}}", align="R")


def _party(pdf: FPDF, heading: str, party: Party | None, x: float, y: float) -> float:
    pdf.set_xy(x, y)
    _font(pdf, 9)
    with _bold(pdf):
        pdf.cell(85, 5, heading, new_x="LEFT", new_y="NEXT")
    _font(pdf, 10)
    if party is None:
        pdf.multi_cell(
            85, 5, "Several receivers: each line names its own.", new_x="LEFT", new_y="NEXT"
        )
        return pdf.get_y()
    with _bold(pdf):
        pdf.multi_cell(85, 5, party.name, new_x="LEFT", new_y="NEXT")
    for line in (party.postal_address or "").splitlines():
        if line.strip():
            pdf.multi_cell(85, 5, line.strip(), new_x="LEFT", new_y="NEXT")
    if party.country:
        pdf.cell(85, 5, party.country, new_x="LEFT", new_y="NEXT")
    pdf.cell(85, 5, f"Tax ID: {party.tax_id or '—'}", new_x="LEFT", new_y="NEXT")
    _font(pdf, 8)
    pdf.cell(85, 5, f"Account {party.id}", new_x="LEFT", new_y="NEXT")
    return pdf.get_y()


def render_invoice_pdf(doc: InvoiceDocument) -> bytes:
    with _renders:
        return _render(doc)


def _render(doc: InvoiceDocument) -> bytes:
    locale = doc.locale
    pdf = _Pdf(format="A4")
    pdf.add_font(FONT, "", str(invoice_font_file()))
    pdf.set_title(f"{doc.title} {doc.number}")
    pdf.set_author(doc.issuer.name)
    pdf.set_creation_date(datetime.combine(doc.invoice_date, time(), tzinfo=UTC))
    pdf.footer_text = f"{doc.title} {doc.number} · {doc.issuer.name}"
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()

    _font(pdf, 20)
    with _bold(pdf):
        pdf.cell(0, 12, doc.title, new_x="LMARGIN", new_y="NEXT")
    facts = [
        ("Invoice number", doc.number),
        ("Reference code", doc.reference_code),
        ("Invoice date", format_date(doc.invoice_date, "long", locale=locale)),
        ("Payment term", PAYMENT_TERMS.get(doc.payment_term.value, doc.payment_term.value)),
        ("Due date", format_date(doc.due_date, "long", locale=locale)),
        ("Order number", doc.order_number),
        ("Period", doc.period),
    ]
    top = pdf.get_y() + 2
    pdf.set_xy(120, top)
    for label, value in facts:
        if value:
            pdf.set_x(120)
            _font(pdf, 9)
            pdf.cell(32, 5.5, f"{label}:")
            with _bold(pdf):
                pdf.cell(0, 5.5, value, new_x="LMARGIN", new_y="NEXT")
    facts_end = pdf.get_y()
    issuer_end = _party(pdf, "From", doc.issuer, pdf.l_margin, top)
    receiver_end = _party(
        pdf, "Bill to", doc.receiver, pdf.l_margin, max(issuer_end, facts_end) + 4
    )
    pdf.set_y(receiver_end + 6)

    columns = _columns(any(line.source_invoice for line in doc.lines))

    def header_row() -> None:
        _font(pdf, 9)
        with _bold(pdf):
            for head, width, align in columns:
                pdf.cell(width, 7, head, border="B", align=align)
        pdf.ln()

    header_row()
    _font(pdf, 9)
    for line in doc.lines:
        if pdf.will_page_break(6):
            pdf.add_page()
            header_row()
            _font(pdf, 9)
        description = line.description
        if doc.receiver is None and line.receiver_id:
            description = f"{description} ({line.receiver_id})"
        cells = (
            description,
            *([line.source_invoice or ""] if len(columns) == len(COLUMNS) else []),
            str(line.quantity),
            format_unit_price(line.unit_price, line.currency, locale),
            percent(doc.rate_of(line.currency)),
            format_money(line.amount, line.currency, locale),
        )
        for (_, width, align), text in zip(columns, cells, strict=True):
            pdf.cell(width, 6, _fit(pdf, text, width), align=align)
        pdf.ln()

    pdf.ln(4)
    label_x, value_w = 110.0, 70.0
    if pdf.will_page_break(12 + 6 * (len(doc.taxes) + 3 * len(doc.totals))):
        pdf.add_page()
    _font(pdf, 9)
    pdf.set_x(label_x)
    with _bold(pdf):
        pdf.cell(value_w + 10, 6, "Tax per rate", border="B", new_x="LMARGIN", new_y="NEXT")
    for tax in doc.taxes:
        pdf.set_x(label_x)
        base = format_money(tax.base, tax.currency, locale)
        pdf.cell(value_w - 20, 6, f"{percent(tax.rate)} of {base}")
        pdf.cell(
            30,
            6,
            format_money(tax.tax, tax.currency, locale),
            align="R",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(2)
    for totals in doc.totals:
        for label, amount, bold in (
            (f"Subtotal ({totals.currency})", totals.subtotal, False),
            (f"Tax ({totals.currency})", totals.tax, False),
            (f"Total ({totals.currency})", totals.total, True),
        ):
            pdf.set_x(label_x)
            _font(pdf, 11 if bold else 9)
            with _bold(pdf, bold):
                pdf.cell(value_w - 20, 7 if bold else 6, label, border="T" if bold else 0)
                pdf.cell(
                    30, 7 if bold else 6, format_money(amount, totals.currency, locale),
                    align="R", border="T" if bold else 0, new_x="LMARGIN", new_y="NEXT",
                )  # fmt: skip
        pdf.ln(2)
    return bytes(pdf.output())


def _columns(with_sources: bool) -> tuple[tuple[str, float, str], ...]:
    """The line table's columns; without source invoices the description takes their room."""
    if with_sources:
        return COLUMNS
    (head, width, align), source, *rest = COLUMNS
    return ((head, width + source[1], align), *rest)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """Shorten text that would overflow its column, keeping the start a reader matches by."""
    if pdf.get_string_width(text) <= width - 2:
        return text
    while text and pdf.get_string_width(text + "…") > width - 2:
        text = text[:-1]
    return text + "…"
