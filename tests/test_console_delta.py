"""The console's delta-invoicing pages in a real headless browser against the API served over
HTTP: an administrator generates pre-invoices and watches the generation finish, reads a
pre-invoice's full-month and difference lines, is refused closing a period while a
pre-invoice assigned to it is open (the refusal names it), finalizes it, then closes the
period. The pages are shown to partners with delta invoicing on and hidden from the others."""

from __future__ import annotations

from datetime import date

import httpx
from playwright.async_api import Page, expect
from temporalio.client import Client

from tests.browser import screenshot_path
from tests.conftest import ADMIN_TOKEN
from tests.console_world import build_console_world, partner_token, sign_in
from tests.delta import delta_world, generate, period_id, pre_invoices, subscription

OCT = date(2026, 10, 1)


async def start_generation(page: Page, as_of: str, run_id: str) -> None:
    await page.get_by_role("link", name="Pre-invoices").click()
    await page.get_by_label("As of").fill(as_of)
    await page.get_by_role("button", name="Start generation").click()
    await expect(
        page.get_by_role("heading", name=f"Pre-invoice generation {run_id}")
    ).to_be_visible()
    await expect(page.get_by_test_id("run-status")).to_have_text("completed", timeout=30_000)


async def test_an_administrator_generates_pre_invoices_then_closes_the_period_once_final(
    page: Page, api: httpx.AsyncClient, temporal: Client, live_api_url: str
) -> None:
    w = await delta_world(api, months=[OCT])
    sub = await subscription(api, temporal, w, "S1", starts="2026-10-01T00:00:00Z", quantity=2)
    period = period_id(w, OCT)

    await sign_in(page, live_api_url, ADMIN_TOKEN)
    await page.get_by_label("Act on behalf of partner").fill(w.issuer)
    await page.get_by_role("button", name="Switch").click()
    await page.get_by_role("link", name="Pre-invoices").click()
    await expect(page.get_by_role("status")).to_contain_text("No pre-invoices yet")

    await start_generation(page, "2026-10-31", f"pre-invoice-run-{w.issuer}-2026-10-31-1")
    await expect(page.get_by_role("status")).to_contain_text(
        "1 pre-invoice(s) created, 1 line(s) written"
    )
    await page.get_by_role("link", name="All pre-invoices").click()
    rows = page.locator("table[data-testid=pre-invoices] tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first.get_by_test_id("status")).to_have_text("Open")
    await expect(rows.first).to_contain_text(period)
    await expect(rows.first).to_contain_text("€62.00")

    # A change after the first generation: the second bills only the difference, +31.00.
    changed = await api.patch(f"/v1/subscriptions/{sub['id']}", json={"quantity": 3})
    assert changed.status_code == 200, changed.text
    await start_generation(page, "2026-10-31", f"pre-invoice-run-{w.issuer}-2026-10-31-2")
    await expect(page.get_by_role("status")).to_contain_text("1 line(s) written")
    # It lands in a new pre-invoice of the same period, beside the first.
    first, second = sorted(await pre_invoices(api, w), key=lambda i: i["number"])
    await page.get_by_role("link", name="All pre-invoices").click()
    await expect(rows).to_have_count(2)
    for pre_invoice, total in ((first, "€62.00"), (second, "€31.00")):
        await expect(
            page.locator(f'tr[data-invoice-number="{pre_invoice["number"]}"]')
        ).to_contain_text(total)
    await page.get_by_role("link", name=f"Pre-invoice {first['number']}").click()
    lines = page.locator("table[data-testid=pre-invoice-lines] tbody tr")
    await expect(lines).to_have_count(1)
    await expect(lines.first.get_by_test_id("line-kind")).to_have_text("Full month")
    await expect(lines.first).to_contain_text(sub["id"])
    await expect(lines.first).to_contain_text("Oct 1, 2026 to Oct 31, 2026")
    await expect(lines.first).to_contain_text("€62.00")
    await page.get_by_role("link", name="All pre-invoices").click()
    await page.get_by_role("link", name=f"Pre-invoice {second['number']}").click()
    await expect(lines).to_have_count(1)
    await expect(lines.first.get_by_test_id("line-kind")).to_have_text("Difference (delta)")
    await expect(lines.first).to_contain_text("Oct 1, 2026 to Oct 31, 2026")
    await expect(lines.first).to_contain_text("€31.00")
    await expect(page.get_by_test_id("total")).to_have_text("€31.00")
    await page.screenshot(
        path=screenshot_path("pre_invoice_with_a_difference_line"), full_page=True
    )

    # The period cannot close while its pre-invoices are open, and the refusal names them.
    await page.get_by_role("link", name="Accounting periods").click()
    row = page.locator(f'tr[data-period-id="{period}"]')
    await expect(row).to_contain_text(first["number"])
    await expect(row).to_contain_text(second["number"])
    await row.get_by_role("button", name=f"Close for invoicing: {period}").click()
    await expect(
        page.get_by_role("heading", name=f"Accounting period {period} stays open")
    ).to_be_visible()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("cannot be closed for invoicing")
    await expect(alert).to_contain_text(first["number"])
    await expect(alert).to_contain_text(second["number"])
    await page.screenshot(path=screenshot_path("closing_a_period_refused"), full_page=True)

    for pre_invoice in (first, second):
        await page.goto(f"{live_api_url}/console/pre-invoices/{pre_invoice['id']}")
        await page.get_by_role("button", name="Finalize pre-invoice").click()
        await expect(page.get_by_role("status")).to_contain_text("is final")
        await expect(page.get_by_test_id("status")).to_have_text("Final")
        await expect(page.get_by_role("button", name="Finalize pre-invoice")).to_have_count(0)

    await page.get_by_role("link", name="Accounting periods").click()
    await expect(row).to_contain_text("None")
    await row.get_by_role("button", name=f"Close for invoicing: {period}").click()
    await expect(page.get_by_role("status")).to_contain_text(f"{period} is closed for invoicing")
    await expect(row.get_by_test_id("invoicing")).to_have_text("Closed")
    assert (await api.get(f"/v1/accounting-periods/{period}")).json()["invoicing_closed"] is True


async def test_delta_pages_show_for_partners_with_delta_invoicing_on_only(
    page: Page, api: httpx.AsyncClient, live_api_url: str
) -> None:
    without = await build_console_world(api)
    await sign_in(page, live_api_url, await partner_token(api, without.seller))
    await expect(page.get_by_role("link", name="Outgoing Billings")).to_be_visible()
    await expect(page.get_by_role("link", name="Pre-invoices")).to_have_count(0)
    await expect(page.get_by_role("link", name="Accounting periods")).to_have_count(0)
    await page.get_by_role("button", name="Sign out").click()

    w = await delta_world(api, months=[OCT])
    await sign_in(page, live_api_url, await partner_token(api, w.issuer))
    await page.get_by_role("link", name="Accounting periods").click()
    row = page.locator(f'tr[data-period-id="{period_id(w, OCT)}"]')
    await expect(row).to_contain_text("Oct 31, 2026")
    await expect(row.get_by_test_id("invoicing")).to_have_text("Open")
    await page.get_by_role("link", name="Pre-invoices").click()
    await expect(page.get_by_role("status")).to_contain_text("No pre-invoices yet")


async def test_the_pre_invoices_page_lists_the_issuers_recent_generations_newest_first(
    page: Page, api: httpx.AsyncClient, temporal: Client, live_api_url: str
) -> None:
    w = await delta_world(api, months=[OCT])
    other = await delta_world(api, months=[OCT])
    await subscription(api, temporal, w, "S1", starts="2026-10-01T00:00:00Z", quantity=2)
    first, _, _ = await generate(api, temporal, w, "2026-10-31")
    second, _, _ = await generate(api, temporal, w, "2026-10-31")
    theirs, _, _ = await generate(api, temporal, other, "2026-10-31")

    await sign_in(page, live_api_url, await partner_token(api, w.issuer))
    await page.get_by_role("link", name="Pre-invoices").click()
    runs = page.locator("table[data-testid=pre-invoice-runs] tbody tr")
    await expect(runs).to_have_count(2)
    assert [await r.get_attribute("data-run-id") for r in await runs.all()] == [second, first]
    newest, oldest = runs.nth(0), runs.nth(1)
    for row, lines, created in ((newest, "0", "0"), (oldest, "1", "1")):
        await expect(row.get_by_test_id("run-status")).to_have_text("completed")
        await expect(row).to_contain_text("Oct 31, 2026")
        await expect(row).to_contain_text("1 of 1")
        await expect(row.get_by_test_id("run-lines")).to_have_text(lines)
        await expect(row.get_by_test_id("run-pre-invoices")).to_have_text(created)
    await expect(page.locator(f'tr[data-run-id="{theirs}"]')).to_have_count(0)
    await page.screenshot(path=screenshot_path("recent_pre_invoice_generations"), full_page=True)

    await page.get_by_role("link", name=f"Generation {first}").click()
    await expect(
        page.get_by_role("heading", name=f"Pre-invoice generation {first}")
    ).to_be_visible()
    await expect(page.get_by_test_id("run-status")).to_have_text("completed")
