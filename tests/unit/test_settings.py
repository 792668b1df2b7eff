"""Settings from the environment: durations in seconds or ISO 8601, one line per bad value
naming the variable and the forms it accepts, the test-only tax faults named as such."""

from __future__ import annotations

from datetime import timedelta

import pytest

from billing.settings import SettingsError, load_settings
from billing.tax.configured import tax_provider
from starter.api.app import create_app


def test_a_duration_may_be_given_in_seconds_or_iso_8601(monkeypatch: pytest.MonkeyPatch) -> None:
    for given, expected in (("10", 10), ("2.5", 2.5), ("PT1H", 3600), ("PT24H", 86400)):
        monkeypatch.setenv("ORDER_STUCK_AFTER", given)
        assert load_settings().order_stuck_after == timedelta(seconds=expected)


def test_a_bad_setting_is_one_line_naming_the_variable_and_accepted_forms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDER_STUCK_AFTER", "a day")
    monkeypatch.setenv("BILLING_MAX_CONCURRENT_ACTIVITIES", "many")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    lines = str(raised.value).splitlines()
    assert len(lines) == 2
    stuck = next(line for line in lines if line.startswith("ORDER_STUCK_AFTER="))
    assert "'a day'" in stuck and "ISO 8601 duration" in stuck and "seconds" in stuck
    workers = next(line for line in lines if line.startswith("BILLING_MAX_CONCURRENT_ACTIVITIES="))
    assert "whole number" in workers
    assert "Traceback" not in str(raised.value) and "pydantic" not in str(raised.value)


def test_the_api_refuses_to_serve_with_the_development_admin_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BILLING_ADMIN_TOKEN", raising=False)
    with pytest.raises(SettingsError, match="BILLING_ADMIN_TOKEN is the built-in development"):
        create_app(settings=load_settings())
    monkeypatch.setenv("BILLING_ADMIN_TOKEN", "a-secret-of-our-own")
    assert create_app(settings=load_settings()).title == "Billing engine"


def test_tax_fault_knobs_are_test_settings_and_say_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TEST_TAX_FAULT_TRANSIENT_FAILURES", "2")
    settings = load_settings()
    assert settings.builtin_tax_transient_failures == 2 and settings.injects_tax_faults
    with caplog.at_level("WARNING"):
        tax_provider(settings)
    assert "never for production" in caplog.text
    monkeypatch.setenv("TAX_PROVIDER", "acme")
    with pytest.raises(SettingsError, match="TAX_PROVIDER='acme' is not valid"):
        tax_provider(load_settings())


def test_the_workflow_sandbox_is_off_unless_asked_and_a_bad_value_says_what_it_accepts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BILLING_WORKFLOW_SANDBOX", raising=False)
    assert load_settings().workflow_sandbox is False
    monkeypatch.setenv("BILLING_WORKFLOW_SANDBOX", "true")
    assert load_settings().workflow_sandbox is True
    monkeypatch.setenv("BILLING_WORKFLOW_SANDBOX", "sometimes")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    [line] = str(raised.value).splitlines()
    assert line.startswith("BILLING_WORKFLOW_SANDBOX='sometimes' is not valid")
    assert line.endswith("it accepts true or false.")


@pytest.mark.parametrize("ratio", ["0", "1.5", "-0.2"])
def test_the_task_queue_share_of_workflow_polls_is_a_fraction(
    monkeypatch: pytest.MonkeyPatch, ratio: str
) -> None:
    monkeypatch.setenv("BILLING_NONSTICKY_TO_STICKY_POLL_RATIO", ratio)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value).startswith(f"BILLING_NONSTICKY_TO_STICKY_POLL_RATIO={ratio!r}")
    monkeypatch.setenv("BILLING_NONSTICKY_TO_STICKY_POLL_RATIO", "1")
    assert load_settings().nonsticky_poll_ratio == 1.0
