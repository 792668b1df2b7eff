"""Which selected invoices a summary request adds: another issuer's invoice reads exactly like
an unknown id, and one held by a request still at work is skipped naming that request."""

from __future__ import annotations

from billing.summary_invoices import SourceFacts, classify


def facts(invoice_id: str, issuer: str, claimed_by: str | None = None) -> SourceFacts:
    return SourceFacts(
        invoice_id=invoice_id,
        number=f"INV-{invoice_id}",
        issuer_id=issuer,
        type="periodic",
        status="verified",
        lines=1,
        unconsolidated_lines=1,
        lines_beyond_one_level=0,
        claimed_by=claimed_by,
    )


def test_another_issuers_invoice_is_skipped_exactly_like_an_unknown_one() -> None:
    known = {"a": facts("a", "other-seller")}
    added, skipped = classify("seller", ["a", "b"], known)
    assert added == []
    foreign, unknown = skipped
    assert (foreign.reason, foreign.detail) == (unknown.reason, unknown.detail)
    assert "other-seller" not in foreign.detail and "INV-a" not in foreign.detail


def test_an_invoice_held_by_a_request_at_work_is_skipped_naming_that_request() -> None:
    known = {"a": facts("a", "seller", claimed_by="req-1"), "b": facts("b", "seller")}
    added, skipped = classify("seller", ["a", "b"], known)
    assert added == ["b"]
    assert skipped[0].reason == "being_consolidated"
    assert skipped[0].detail == "Invoice INV-a is being consolidated by request req-1."
