"""An adapter in the shape of AvaTax's CreateOrAdjustTransaction (REST v2).

POST {base}/api/v2/transactions/createoradjust with a SalesInvoice whose `code` is our summary
invoice id and `commit: true`: AvaTax identifies a document by (company, code, type), so a retry
adjusts the same transaction instead of creating another. A transaction carries one currency;
a summary holding several is sent as one transaction per currency, coded `<id>-<CUR>`.

Errors are classified for Temporal: timeouts, connection failures, 429 and 5xx are transient
(retried with backoff); any other 4xx (invalid address, rejected document, bad credentials) is
permanent and ends the sync in TaxFailed with AvaTax's message.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from billing.tax.provider import (
    PermanentTaxError,
    TaxDocument,
    TaxResult,
    TransientTaxError,
)


class AvaTaxProvider:
    name = "avatax"

    def __init__(
        self,
        base_url: str,
        account_id: str,
        license_key: str,
        *,
        timeout: float = 20.0,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            auth=(account_id, license_key),
            timeout=timeout,
            headers={"X-Avalara-Client": "temporal-billing; 0.1.0; REST; v2"},
        )

    def close(self) -> None:
        self._http.close()

    def create_or_adjust(self, document: TaxDocument) -> TaxResult:
        currencies = document.currencies
        references: list[str] = []
        tax: dict[str, Decimal] = {}
        for currency in currencies:
            code = document.code if len(currencies) == 1 else f"{document.code}-{currency}"
            answer = self._post(self._transaction(document, code, currency))
            references.append(f"AVT-{answer.get('id')}")  # AvaTax's transaction id
            tax[currency] = Decimal(str(answer.get("totalTax", "0")))
        return TaxResult(
            reference_code=", ".join(references),
            document_code=document.code,
            committed=True,
            tax_by_currency=tax,
        )

    @staticmethod
    def _transaction(document: TaxDocument, code: str, currency: str) -> dict[str, Any]:
        return {
            "createTransactionModel": {
                "code": code,
                "type": "SalesInvoice",
                "companyCode": document.company_code,
                "date": document.date.isoformat(),
                "customerCode": document.customer_code,
                "currencyCode": currency,
                "commit": True,
                "addresses": {"singleLocation": {"country": document.customer_country or ""}},
                "lines": [
                    {
                        "number": line.number,
                        "amount": str(line.amount),
                        "description": line.description,
                        "ref1": line.source_invoice,
                    }
                    for line in document.lines
                    if line.currency == currency
                ],
            }
        }

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._http.post("/api/v2/transactions/createoradjust", json=body)
        except httpx.TimeoutException as error:
            raise TransientTaxError(f"AvaTax did not answer in time: {error}") from error
        except httpx.TransportError as error:
            raise TransientTaxError(f"AvaTax unreachable: {error}") from error
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientTaxError(f"AvaTax answered {response.status_code}: {_message(response)}")
        if response.is_error:
            raise PermanentTaxError(f"AvaTax refused the document: {_message(response)}")
        answer: dict[str, Any] = response.json()
        return answer


def _message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        return f"{error.get('code', response.reason_phrase)}: {error.get('message', '')}".strip()
    except ValueError:
        return response.text[:300] or response.reason_phrase
