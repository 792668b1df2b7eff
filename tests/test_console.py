"""The web console in a real headless browser against the API served over HTTP: signing in
and out, finding and sorting billings by order number, the whole summary-invoice flow with its
confirmation and live messages, tax sync to TaxCompleted and the PDF, retrying a TaxFailed tax
sync, unsticking a stuck order by hand, and a second seller who sees none of the first's data."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

import httpx
from playwright.async_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import Engine
from temporalio.client import Client

from billing.settings import Settings
from billing.summary_invoices import COMPLETE_MESSAGE, IN_PROGRESS_MESSAGE
from tests.conftest import ADMIN_TOKEN, api_client, make_settings
from tests.console_world import (
    SUMMARY_CODE,
    build_console_world,
    invoiced_order,
    partner_token,
    sign_in,
)
from tests.summary_world import created, request_summaries, wait_state
from tests.world import billed, partner_body, put, report, submit


async def test_sign_in_keeps_the_token_in_a_strict_http_only_cookie_and_sign_out_ends_it(
    page: Page, live_api_url: str
) -> None:
    await page.goto(f"{live_api_url}/console/billings")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    await page.get_by_label("API token").fill("not-a-token")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("That token is not valid")

    # By keyboard alone: the skip link, then the token field; Enter sends the form.
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("API token")).to_be_focused()
    await page.keyboard.type(ADMIN_TOKEN)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Outgoing Billings")).to_be_visible()
    await expect(page.get_by_text("Signed in as admin")).to_be_visible()
    [session] = [c for c in await page.context.cookies() if c["name"] == "billing_console_session"]
    assert session["httpOnly"] is True and session["sameSite"] == "Strict"
    assert await page.evaluate("document.cookie") == ""  # nothing a script could read

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("status")).to_have_text("You are signed out.")
    await page.goto(f"{live_api_url}/console/invoices/outgoing")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


async def test_a_form_posted_without_the_csrf_token_is_refused(live_api_url: str) -> None:
    async with httpx.AsyncClient(base_url=live_api_url) as http:
        http.cookies.set("billing_console_csrf", "the-real-one")
        refused = await http.post(
            "/console/sign-in", data={"token": ADMIN_TOKEN, "csrf": "guessed"}
        )
    assert refused.status_code == 403 and "This form has expired" in refused.text
    assert "billing_console_session" not in refused.cookies

    # Form fields meet the API's rule for text too: no NUL characters.
    async with httpx.AsyncClient(base_url=live_api_url) as http:
        http.cookies.set("billing_console_csrf", "the-real-one")
        nul = await http.post("/console/sign-in", data={"token": "a\x00b", "csrf": "the-real-one"})
    assert nul.status_code == 422 and "NUL characters" in nul.text


async def test_a_seller_finds_an_orders_invoice_by_its_order_number_and_sorts_by_it(
    page: Page, api: httpx.AsyncClient, temporal: Client, live_api_url: str
) -> None:
    cw = await build_console_world(api)
    first, first_invoice = await invoiced_order(api, temporal, cw, "B-ORDER", cw.customer_de)
    second, _ = await invoiced_order(api, temporal, cw, "A-ORDER", cw.customer_se)
    number = (await api.get(f"/v1/invoices/{first_invoice}")).json()["number"]

    await sign_in(page, live_api_url, await partner_token(api, cw.seller))
    await page.get_by_label("Search by order number").fill(first)
    await page.get_by_role("button", name="Search").click()
    rows = page.locator("table[data-testid=billings] tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text(number)
    await expect(rows.first).to_contain_text("Per Order")
    await expect(rows.first).to_contain_text("€2,469.00")

    await page.get_by_role("link", name="Clear search").click()
    await page.get_by_test_id("sort-order_number").click()
    await expect(page.get_by_role("columnheader", name="Order Number")).to_have_attribute(
        "aria-sort", "ascending"
    )
    assert await rows.evaluate_all("rs => rs.map(r => r.dataset.orderNumber)") == [second, first]
    await page.get_by_test_id("sort-order_number").click()
    await expect(page.get_by_role("columnheader", name="Order Number")).to_have_attribute(
        "aria-sort", "descending"
    )
    assert await rows.evaluate_all("rs => rs.map(r => r.dataset.orderNumber)") == [first, second]

    # The seller reads amounts and times its own way.
    body = partner_body(
        "Console Reseller Oy", "seller", cw.distributor, country="FI", locale="de_DE",
        time_zone="Europe/Helsinki",
        settings={"invoice_per_order": True, "summary_invoices": True},
    )  # fmt: skip
    await put(api, f"/v1/partners/{cw.seller}", body)
    await page.reload()
    await expect(rows.first).to_contain_text("2.469,00 €")
    await expect(page.get_by_text("Times in Europe/Helsinki")).to_be_visible()


async def test_summary_invoices_are_created_from_the_selection_and_their_pdf_downloads(
    page: Page, api: httpx.AsyncClient, temporal: Client, live_api_url: str
) -> None:
    cw = await build_console_world(api)
    de, de_invoice = await invoiced_order(api, temporal, cw, "SUM-DE", cw.customer_de)
    se, se_invoice = await invoiced_order(api, temporal, cw, "SUM-SE", cw.customer_se)
    _, done_invoice = await invoiced_order(api, temporal, cw, "SUM-DONE", cw.customer_de)
    earlier = await request_summaries(api, cw.seller, [done_invoice])
    await created(temporal, earlier["request_id"])
    done_number = (await api.get(f"/v1/invoices/{done_invoice}")).json()["number"]

    await sign_in(page, live_api_url, await partner_token(api, cw.seller))
    await page.get_by_label("Search by order number").fill(cw.suffix)
    await page.get_by_role("button", name="Search").click()
    for invoice_id in (de_invoice, se_invoice, done_invoice):
        await page.locator(f'input[name=invoice_id][value="{invoice_id}"]').check()
    await page.get_by_role("button", name="Create Summary Invoice").click()

    await expect(page.get_by_role("heading", name="Create Summary Invoice")).to_be_visible()
    await expect(page.get_by_test_id("added")).to_have_text("2 invoice(s) will be added.")
    skipped = page.get_by_test_id("skipped-invoice")
    await expect(skipped).to_have_text(done_number)
    await expect(skipped).to_have_attribute(
        "title", f"Invoice {done_number} is already consolidated."
    )
    await skipped.focus()
    await expect(page.get_by_role("tooltip")).to_have_text("already consolidated")

    await page.get_by_label("Invoice date").fill("2026-12-15")
    await page.get_by_role("button", name="Create summary invoices").click()
    message = page.get_by_test_id("summary-message")
    await expect(message).to_have_text(IN_PROGRESS_MESSAGE)
    await expect(message).to_have_text(COMPLETE_MESSAGE, timeout=30_000)
    assert "/summary-invoices/confirm" in page.url  # live: the page was never reloaded

    await page.get_by_role("link", name="Open Invoices Outgoing").click()
    summaries = page.locator("table[data-testid=summary-invoices] tbody tr")
    await expect(summaries).to_have_count(3)  # the two new ones and the earlier one
    for receiver in ("Müller Logistik GmbH", "Åkesson Bygg AB"):
        row = summaries.filter(has_text=receiver).filter(has_text="Dec 15, 2026")
        await expect(row.get_by_test_id("state")).to_have_text("TaxCompleted", timeout=30_000)
    de_row = summaries.filter(has_text="Müller Logistik GmbH").filter(has_text="Dec 15, 2026")
    await expect(de_row).to_contain_text("€2,469.00")  # subtotal
    await expect(de_row).to_contain_text("€469.11")  # 19 % German VAT
    await expect(de_row).to_contain_text("€2,938.11")
    for number in (de, se):
        source = page.locator("table[data-testid=invoices] tbody tr").filter(has_text=number)
        await expect(source.get_by_test_id("summary-marker")).to_have_text(SUMMARY_CODE)

    async with page.expect_download() as download_info:
        await de_row.get_by_role("link", name="Download PDF").click()
    download = await download_info.value
    assert download.suggested_filename.startswith("tax-invoice-SUM-")
    pdf = (await download.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = "".join(sheet.extract_text() for sheet in PdfReader(io.BytesIO(pdf)).pages)
    assert "Müller Logistik GmbH" in text

    # The receiver signs in with its own token and finds the summary among its incoming ones.
    await page.get_by_role("button", name="Sign out").click()
    await sign_in(page, live_api_url, await partner_token(api, cw.customer_de))
    await page.get_by_role("link", name="Invoices Incoming").click()
    incoming = page.locator("table[data-testid=summary-invoices] tbody tr")
    await expect(incoming.filter(has_text="Console Reseller Oy")).to_have_count(2)
    await expect(incoming.filter(has_text="Åkesson Bygg AB")).to_have_count(0)


async def test_an_administrator_on_behalf_of_the_seller_retries_a_tax_failed_summary(
    page: Page, api: httpx.AsyncClient, temporal: Client, live_api_url: str
) -> None:
    cw = await build_console_world(api)
    _, invoice_id = await invoiced_order(api, temporal, cw, "TAXFAIL", cw.customer_nowhere)
    answer = await request_summaries(api, cw.seller, [invoice_id])
    [summary_id] = await created(temporal, answer["request_id"])
    failed = await wait_state(api, summary_id, "TaxFailed")

    await sign_in(page, live_api_url, ADMIN_TOKEN)
    await page.get_by_label("Act on behalf of partner").fill(cw.seller)
    await page.get_by_role("button", name="Switch").click()
    await expect(page.get_by_test_id("acting-for")).to_contain_text(cw.seller)
    await page.get_by_role("link", name="Invoices Outgoing").click()
    row = page.locator(f'tr[data-invoice-code="{failed["invoice_code"]}"]')
    await expect(row.get_by_test_id("state")).to_have_text("TaxFailed")
    await expect(row).to_contain_text(failed["tax_failure_reason"])

    # Someone fixes the receiver's address; the operator retries from the console.
    body = partner_body("Nowhere Ltd", "customer", cw.seller, country="NO")
    await put(api, f"/v1/partners/{cw.customer_nowhere}", body)
    await row.get_by_role("button", name=f"Retry tax sync of {failed['invoice_code']}").click()
    await expect(page.get_by_role("status").first).to_contain_text("is being retried")
    await expect(row.get_by_test_id("state")).to_have_text("TaxCompleted", timeout=30_000)
    await expect(row.get_by_role("link", name="Preview PDF")).to_be_visible()


async def test_an_operator_unsticks_a_stuck_order_by_recording_the_outcome_by_hand(
    page: Page,
    api: httpx.AsyncClient,
    temporal: Client,
    engine: Engine,
    database_url: str,
    settings: Settings,
    live_api_url: str,
) -> None:
    cw = await build_console_world(api)
    number = cw.order_number("STUCK")
    quick = make_settings(database_url, settings.task_queue, stuck_after=timedelta(seconds=1))
    async with api_client(quick, engine, temporal) as quick_api:
        await submit(
            quick_api,
            number,
            cw.seller,
            cw.customer_de,
            [("1", cw.security, 1), ("2", cw.security, 3)],
        )
    await report(api, number, "1", "succeeded")
    for _ in range(200):
        if (await api.get(f"/v1/orders/{number}")).json()["status"] == "stuck":
            break
        await asyncio.sleep(0.05)

    await sign_in(page, live_api_url, ADMIN_TOKEN)
    await page.get_by_role("link", name="Orders").click()
    await page.get_by_label("Status").select_option("stuck")
    await page.get_by_role("button", name="Show").click()
    order = page.locator(f'tr[data-order-number="{number}"]')
    await expect(order).to_contain_text("Stuck")
    await expect(order.get_by_role("link", name="Open in Temporal UI")).to_have_attribute(
        "href", f"http://127.0.0.1:8233/namespaces/default/workflows/order-{number}"
    )
    form = order.get_by_role("group", name="Record the outcome of item 2 by hand")
    await form.get_by_label("Outcome").select_option("succeeded")
    await form.get_by_label("Operator (who)").fill("ops.alice")
    await form.get_by_label("Reason (why)").fill("vendor portal shows it active")
    await form.get_by_role("button", name="Record outcome").click()
    await expect(page.get_by_role("status")).to_contain_text("Outcome recorded")

    result = await billed(temporal, number)
    assert result.per_order_items == ["1", "2"]
    await page.get_by_label("Status").select_option("completed")
    await page.get_by_role("button", name="Show").click()
    # Completed orders are listed newest first; orders other tests made may come before it.
    for _ in range(100):
        if await order.count() or not await page.get_by_role("link", name="Next page").count():
            break
        await page.get_by_role("link", name="Next page").click()
        await page.wait_for_load_state()
    await expect(order).to_contain_text("by ops.alice")
    await order.get_by_role("link", name=f"Invoice of {number}").click()
    await expect(page.locator("table[data-testid=invoices] tbody tr")).to_have_count(1)
    await expect(page.locator("table[data-testid=invoices]")).to_contain_text("€4,938.00")


async def test_a_second_seller_sees_none_of_the_first_sellers_data(
    page: Page, api: httpx.AsyncClient, temporal: Client, live_api_url: str
) -> None:
    first = await build_console_world(api)
    number, invoice_id = await invoiced_order(api, temporal, first, "MINE", first.customer_de)
    answer = await request_summaries(api, first.seller, [invoice_id])
    [summary_id] = await created(temporal, answer["request_id"])
    await wait_state(api, summary_id, "TaxCompleted")
    second = await build_console_world(api)

    await sign_in(page, live_api_url, await partner_token(api, second.seller))
    await expect(page.get_by_text("No outgoing billings yet.")).to_be_visible()
    await page.get_by_label("Search by order number").fill(number)
    await page.get_by_role("button", name="Search").click()
    await expect(page.get_by_role("status")).to_contain_text("No billing line has an order number")
    for side in ("outgoing", "incoming"):
        await page.goto(f"{live_api_url}/console/invoices/{side}?order_number={number}")
        await expect(page.get_by_text("No summary invoices")).to_be_visible()
        await expect(page.locator("main")).not_to_contain_text(first.seller)
    await page.goto(f"{live_api_url}/console/invoices/{summary_id}/pdf")
    await expect(page.get_by_role("alert")).to_contain_text(f"No invoice with id {summary_id!r}")
    await page.goto(f"{live_api_url}/console/summary-requests/{answer['request_id']}")
    await expect(page.get_by_role("alert")).to_contain_text("No summary request")
    await page.goto(f"{live_api_url}/console/orders")
    await expect(page.get_by_role("status")).to_contain_text("No orders")
    await expect(page.locator("main")).not_to_contain_text(number)
    await page.goto(f"{live_api_url}/console/runs")
    await expect(page.get_by_role("heading", name="Administrator only")).to_be_visible()
    await expect(page.get_by_label("Act on behalf of partner")).to_have_count(0)


async def test_an_administrator_starts_a_month_end_run_and_watches_it_finish(
    page: Page, api: httpx.AsyncClient, temporal: Client, live_api_url: str
) -> None:
    cw = await build_console_world(api)
    await sign_in(page, live_api_url, ADMIN_TOKEN)
    await page.get_by_role("link", name="Billing runs").click()
    await page.get_by_label("Issuer id").fill(cw.seller)
    await page.get_by_label("Month").fill("2026-10")
    await page.get_by_role("button", name="Start month-end run").click()
    await expect(
        page.get_by_role("heading", name=f"Month-end run billing-run-{cw.seller}-2026-10")
    ).to_be_visible()
    await expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=30_000)
    await expect(page.get_by_role("status")).to_contain_text("0 invoice(s) created")
    await page.get_by_role("link", name="All billing runs").click()
    await expect(page.get_by_role("link", name=f"billing-run-{cw.seller}-2026-10")).to_be_visible()


async def test_a_read_only_token_sees_its_billings_but_may_not_consolidate(
    page: Page, api: httpx.AsyncClient, temporal: Client, live_api_url: str
) -> None:
    cw = await build_console_world(api)
    number, invoice_id = await invoiced_order(api, temporal, cw, "READONLY", cw.customer_de)
    await sign_in(page, live_api_url, await partner_token(api, cw.seller, scopes=("read",)))
    await page.get_by_label("Search by order number").fill(number)
    await page.get_by_role("button", name="Search").click()
    await page.locator(f'input[name=invoice_id][value="{invoice_id}"]').check()
    await page.get_by_role("button", name="Create Summary Invoice").click()
    await expect(page.get_by_role("alert")).to_contain_text("lacks the `billing-admin` scope")
