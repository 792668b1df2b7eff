"""The tax provider and sync options the configuration asks for."""

from __future__ import annotations

from billing.contracts.summary_workflow import TaxSyncOptions
from billing.settings import Settings
from billing.tax.avatax import AvaTaxProvider
from billing.tax.builtin import BuiltinTaxConfig, BuiltinTaxProvider
from billing.tax.provider import TaxProvider


def tax_provider(settings: Settings) -> TaxProvider:
    if settings.tax_provider == "avatax":
        if not settings.avatax_url:
            raise ValueError("TAX_PROVIDER=avatax needs AVATAX_URL (and the account and key).")
        return AvaTaxProvider(
            settings.avatax_url, settings.avatax_account_id, settings.avatax_license_key
        )
    if settings.tax_provider != "builtin":
        raise ValueError(f"Unknown TAX_PROVIDER {settings.tax_provider!r}: builtin or avatax.")
    return BuiltinTaxProvider(
        BuiltinTaxConfig(
            timeouts=settings.builtin_tax_timeouts,
            timeout_seconds=settings.builtin_tax_timeout_seconds,
            transient_failures=settings.builtin_tax_transient_failures,
            permanent_failures=settings.builtin_tax_permanent_failures,
            failure_rate=settings.builtin_tax_failure_rate,
            timeout_rate=settings.builtin_tax_timeout_rate,
        )
    )


def tax_sync_options(settings: Settings) -> TaxSyncOptions:
    return TaxSyncOptions(
        call_timeout=settings.tax_call_timeout,
        retry_initial_interval=settings.tax_retry_initial_interval,
        max_attempts=settings.tax_max_attempts,
    )
