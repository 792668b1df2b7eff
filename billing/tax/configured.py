"""The tax provider and sync options the configuration asks for."""

from __future__ import annotations

import logging

from billing.contracts.summary_workflow import TaxSyncOptions
from billing.settings import Settings, SettingsError
from billing.tax.avatax import AvaTaxProvider
from billing.tax.builtin import BuiltinTaxConfig, BuiltinTaxProvider
from billing.tax.provider import TaxProvider

log = logging.getLogger(__name__)


def tax_provider(settings: Settings) -> TaxProvider:
    if settings.tax_provider == "avatax":
        if not settings.avatax_url:
            raise SettingsError(
                "TAX_PROVIDER=avatax needs AVATAX_URL (and AVATAX_ACCOUNT_ID, AVATAX_LICENSE_KEY)."
            )
        return AvaTaxProvider(
            settings.avatax_url, settings.avatax_account_id, settings.avatax_license_key
        )
    if settings.tax_provider != "builtin":
        raise SettingsError(
            f"TAX_PROVIDER={settings.tax_provider!r} is not valid; it accepts builtin or avatax."
        )
    if settings.injects_tax_faults:
        log.warning(
            "the built-in tax provider injects faults on purpose (TEST_TAX_FAULT_* settings): "
            "a test or demo setting, never for production"
        )
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
