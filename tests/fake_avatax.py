"""A small stand-in for AvaTax's CreateOrAdjustTransaction, served on 127.0.0.1 by the tests: it
keeps documents by (companyCode, code) as AvaTax does, so adjusting never adds one, and can be
told to answer the next calls with errors or slowly."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ACCOUNT, LICENSE_KEY = "2000123456", "test-license-key"


class FakeAvaTax:
    def __init__(self, rates: dict[str, Decimal] | None = None) -> None:
        self.rates = rates or {"DE": Decimal("0.19"), "FR": Decimal("0.20")}
        self.documents: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: list[dict[str, Any]] = []
        self.failures: list[int] = []  # statuses for the next calls, in order
        self.delay_seconds = 0.0
        self._next_id = 7_000_000
        self._lock = threading.Lock()

    def handle(self, authorization: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        model = body["createTransactionModel"]
        with self._lock:
            self.calls.append(model)
            failure = self.failures.pop(0) if self.failures else None
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        expected = "Basic " + base64.b64encode(f"{ACCOUNT}:{LICENSE_KEY}".encode()).decode()
        if authorization != expected:
            return 401, {"error": {"code": "AuthenticationException", "message": "Bad credentials"}}
        if failure is not None:
            code = "TooManyRequests" if failure == 429 else "ServerError"
            return failure, {"error": {"code": code, "message": "try again later"}}
        country = model["addresses"]["singleLocation"]["country"]
        rate = self.rates.get(country)
        if rate is None:
            return 400, {
                "error": {
                    "code": "InvalidAddress",
                    "message": f"The address country {country!r} is incomplete or invalid.",
                }
            }
        tax = sum(
            (
                (Decimal(line["amount"]) * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                for line in model["lines"]
            ),
            Decimal(0),
        )
        key = (model["companyCode"], model["code"])
        with self._lock:
            document = self.documents.get(key)
            if document is None:
                self._next_id += 1
                document = self.documents[key] = {"id": self._next_id, "adjustments": 0}
            else:
                document["adjustments"] += 1
            document.update(
                code=model["code"],
                currencyCode=model["currencyCode"],
                totalTax=str(tax),
                status="Committed" if model["commit"] else "Saved",
            )
            answer = {k: v for k, v in document.items() if k != "adjustments"}
        return 201, answer


@contextmanager
def serve(fake: FakeAvaTax) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path != "/api/v2/transactions/createoradjust":
                status, answer = 404, {"error": {"code": "NotFound", "message": self.path}}
            else:
                status, answer = fake.handle(self.headers.get("Authorization", ""), body)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # loopback only
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
