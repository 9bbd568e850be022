"""The finance desk in a real browser: search the queue by title, see what is overdue, start several
requests at once (one refused, each with its result beside it), reject two with a reason, export the
search as CSV, and find the operator's name on the timeline. Every page is checked with axe-core."""

import sqlite3
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.console.browser import TAXPAYER_ID, Pages, Service, cli, new_context, screenshot_dir
from tests.console.test_journey import sign_in


def _requests(service: Service, title: str, count: int) -> list[dict[str, Any]]:
    """An account certified as `title`, with `count` requests of one bill each (100.00, 200.00, …)."""
    seeded = service.seed(
        "Desk " + title[-6:], bills=[f"{100 * (n + 1)}.00" for n in range(count)], card=None
    )
    key = seeded.customer_key
    service.call("PUT", "/v1/certification", key, {"enterprise_name": title, "taxpayer_id": TAXPAYER_ID})
    profile = service.call(
        "POST", "/v1/invoice-profiles", key, {"invoice_type": "vat_ordinary", "is_default": True}
    )
    address = service.call(
        "POST",
        "/v1/mailing-addresses",
        key,
        {
            "recipient": "Li Lei",
            "phone": "13812345678",
            "address": "1 Cloud Road, Fuzhou",
            "is_default": True,
        },
    )
    made = []
    for bill in service.call("GET", "/v1/bills", key)["data"]:
        body = {"bill_ids": [bill["id"]], "profile_id": profile["id"], "address_id": address["id"]}
        made.append(service.call("POST", "/v1/invoice-requests", key, body))
    return made


def test_search_overdue_bulk_moves_and_export(browser: Any, service: Service, tmp_path: Path) -> None:
    token = uuid.uuid4().hex[:6]
    title = f"Zhiyuan {token} Cloud Ltd."
    made = _requests(service, title, 3)
    started = made[0]
    service.call("POST", f"/v1/invoice-requests/{started['id']}/start", service.finance_key)
    # One request past its due time (the database decides what is overdue).
    late = made[1]
    database = service.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        connection.execute(
            "UPDATE invoice_request SET due_at = '2026-01-05 02:00:00.000000' WHERE id = ?",
            (uuid.UUID(late["id"]).hex,),
        )
    clerk = cli(service.database_url, "create-key", "--role", "finance", "--name", "Wang Fang")

    ctx = new_context(browser, "en-US")
    page = ctx.new_page()
    pages = Pages(page, screenshot_dir(tmp_path), "finance-desk-")
    sign_in(page, service.base_url, clerk)
    expect(page.get_by_role("heading", name="Invoice request queue")).to_be_visible()

    page.get_by_label("Title contains").fill(token.upper())  # whatever its case
    page.get_by_role("button", name="Search").click()
    rows = page.get_by_role("row").filter(has_text=title)
    expect(rows).to_have_count(3)
    expect(page.get_by_test_id("overdue-tag")).to_have_count(1)
    expect(rows.filter(has_text="¥200.00")).to_contain_text("Overdue")
    pages.check("search", screenshot=True)

    # Overdue only: the late one.
    page.get_by_label("Overdue only").check()
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("row").filter(has_text=title)).to_have_count(1)
    page.get_by_label("Overdue only").uncheck()
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(3)

    # Start all three: the one already processing is refused, beside its row.
    for n in range(3):
        rows.nth(n).get_by_role("checkbox").check()
    page.get_by_role("button", name="Start selected (3)").click()
    expect(page.get_by_test_id("bulk-result")).to_have_count(3)
    expect(rows.filter(has_text="¥100.00").get_by_test_id("bulk-result")).to_have_text(
        "Not moved: its status does not allow it"
    )
    expect(rows.filter(has_text="¥200.00").get_by_test_id("bulk-result")).to_have_text("Now Processing")
    expect(page.get_by_text("2 of 3 moved")).to_be_visible()
    pages.check("bulk-start", screenshot=True)

    # Reject two, with a reason.
    rows.filter(has_text="¥200.00").get_by_role("checkbox").check()
    rows.filter(has_text="¥300.00").get_by_role("checkbox").check()
    page.get_by_role("button", name="Reject selected (2)").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Reason (the customer sees it)").fill("The title does not match the licence")
    pages.check("bulk-reject")
    dialog.get_by_role("button", name="Reject").click()
    expect(rows.filter(has_text="¥300.00").get_by_test_id("bulk-result")).to_have_text("Now Rejected")
    expect(rows.filter(has_text="¥200.00")).to_contain_text("Rejected")
    expect(rows.filter(has_text="¥200.00").get_by_test_id("overdue-tag")).to_have_count(0)  # no longer open

    # Export the search as CSV.
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("request_id,status,")
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted(request["id"] for request in made)

    # The timeline names the operator.
    rows.filter(has_text="¥300.00").get_by_role("link", name="View").click()
    expect(page.get_by_test_id("event-actor").last).to_have_text("Finance · Wang Fang")
    expect(page.get_by_test_id("event-actor").first).to_have_text("Customer")
    pages.check("timeline")
    pages.assert_accessible()
    ctx.close()
