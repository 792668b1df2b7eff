"""The values operators search `BillingState` by: one list, no value meaning two things."""

from __future__ import annotations

from billing.vocabulary import SummaryInvoiceState
from workflows.search_attributes import BillingState


def test_a_tax_sync_is_found_by_its_summary_invoice_state_as_the_database_words_it() -> None:
    for state in SummaryInvoiceState:
        assert BillingState.of_tax_sync(state) == state.value


def test_no_two_billing_states_share_a_value() -> None:
    # An Enum silently makes a member with a repeated value an alias of the first one.
    assert len(BillingState.__members__) == len(list(BillingState))
