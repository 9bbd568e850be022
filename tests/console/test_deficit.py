"""The invoice deficit (欠票) in the console, with the SPEC's worked example: a 1000.00 bill invoiced and
delivered, then amended to 700.00, leaves a 300.00 deficit. The customer sees it beside Request Now; a
200.00 bill alone does not exceed it (the API's refusal is shown); with a 500.00 bill too, the request
is 400.00 with a -300.00 line that settles it. Cancelling it brings the deficit back; finance reversing
the over-invoiced request clears it."""

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.console.browser import TAXPAYER_ID, Pages, Service, new_context, screenshot_dir
from tests.console.test_journey import sign_in


def _cash_bill(cash: str) -> dict[str, str]:
    return {
        "total_amount": cash,
        "cash_amount": cash,
        "voucher_amount": "0.00",
        "stored_value_card_amount": "0.00",
    }


def test_the_deficit_is_shown_and_settled_by_the_next_request(
    browser: Any, service: Service, tmp_path: Path
) -> None:
    seeded = service.seed("Deficit Cloud", bills=["1000.00", "0.00", "0.00"], card=None)
    account, key, finance = seeded.account_id, seeded.customer_key, service.finance_key
    invoiced, two_months_ago, three_months_ago = seeded.periods
    certification = {"enterprise_name": "Deficit Cloud Ltd.", "taxpayer_id": TAXPAYER_ID}
    service.call("PUT", "/v1/certification", key, certification)
    profile = service.call(
        "POST", "/v1/invoice-profiles", key, {"invoice_type": "vat_ordinary", "is_default": True}
    )
    address = {
        "recipient": "Li Lei",
        "phone": "13812345678",
        "address": "1 Cloud Road, Fuzhou",
        "is_default": True,
    }
    address = service.call("POST", "/v1/mailing-addresses", key, address)
    bill = next(b for b in service.call("GET", "/v1/bills", key)["data"] if b["period"] == invoiced)
    body = {"bill_ids": [bill["id"]], "profile_id": profile["id"], "address_id": address["id"]}
    first = service.call("POST", "/v1/invoice-requests", key, body)
    path = f"/v1/invoice-requests/{first['id']}"
    service.call("POST", f"{path}/start", finance)
    service.call(
        "POST", f"{path}/issue", finance, {"invoices": [{"number": "DEF-0001", "amount": "1000.00"}]}
    )
    service.call("POST", f"{path}/deliver", finance, {"carrier": "SF Express", "tracking_number": "SF1000"})
    # A refund after invoicing amends the bill to 700.00; two older months get cash bills.
    bills_path = f"/v1/accounts/{account}/bills"
    service.call("PUT", f"{bills_path}/{invoiced}", service.billing_key, _cash_bill("700.00"))
    service.call("PUT", f"{bills_path}/{two_months_ago}", service.billing_key, _cash_bill("200.00"))
    service.call("PUT", f"{bills_path}/{three_months_ago}", service.billing_key, _cash_bill("500.00"))

    ctx = new_context(browser, "en-US")
    page = ctx.new_page()
    pages = Pages(page, screenshot_dir(tmp_path), "deficit-")
    sign_in(page, service.base_url, key)
    expect(page.get_by_text("Invoice deficit ¥300.00")).to_be_visible()
    expect(page.get_by_test_id("invoiceable-amount")).to_have_text("¥400.00")
    pages.check("overview", screenshot=True)

    # 200.00 alone does not exceed the deficit: the page says so, and the API refuses.
    page.get_by_role("button", name="Request Now").click()
    page.get_by_role("checkbox", name=two_months_ago).check()
    total = page.get_by_test_id("running-total")
    expect(total).to_contain_text("-¥300.00")
    expect(total).to_contain_text("must exceed the invoice deficit")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Request Invoice").click()
    expect(page.locator(".ant-alert-error").filter(has_text="deficit")).to_be_visible()
    pages.check("refused")

    # With the 500.00 bill too: a 400.00 request with a -300.00 line.
    page.get_by_role("button", name="Back").click()
    page.get_by_role("checkbox", name=three_months_ago).check()
    expect(page.get_by_test_id("request-amount")).to_have_text("¥400.00")
    pages.check("select", screenshot=True)
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Request Invoice").click()
    expect(page).to_have_url(re.compile(r"/console/requests/[0-9a-f-]{36}$"))
    negative = page.get_by_role("row").filter(has_text="Settles an earlier over-invoiced amount")
    expect(negative).to_contain_text("-¥300.00")
    # The lines table's total (the draft card below has its own totals row per invoice).
    expect(page.get_by_role("row").filter(has_text="Total").first).to_contain_text("¥400.00")
    pages.check("detail", screenshot=True)

    page.get_by_role("link", name="Invoice Management").click()
    expect(page.get_by_text("Invoice deficit")).to_be_hidden()

    # Cancelling the request (while pending) releases every line: the deficit comes back.
    page.go_back()
    page.get_by_role("button", name="Cancel request").click()
    page.get_by_role("button", name="Yes").click()
    expect(page.get_by_role("button", name="Cancel request")).to_be_hidden()
    expect(page.locator(".ant-timeline").get_by_text("Cancelled", exact=True)).to_be_visible()
    page.get_by_role("link", name="Invoice Management").click()
    expect(page.get_by_text("Invoice deficit ¥300.00")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # Finance reverses the over-invoiced request (red-letter, with a reason): the deficit is cleared.
    sign_in(page, service.base_url, finance)
    expect(page.get_by_role("heading", name="Invoice request queue")).to_be_visible()
    page.goto(f"{service.base_url}/console/finance/requests/{first['id']}")
    moves = page.get_by_test_id("moves")
    expect(moves.get_by_role("button")).to_have_text(["Reverse (red-letter)"])
    moves.get_by_role("button", name="Reverse (red-letter)").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Reason").fill("Refund of 300.00 after invoicing; reissue at 700.00")
    pages.check("reverse")
    dialog.get_by_role("button", name="Reverse (red-letter)").click()
    expect(dialog).to_be_hidden()
    # A VAT ordinary invoice needs no confirmation of the buyer: finance records the red-letter
    # invoice at once, one per issued invoice; until then the amounts are held.
    expect(moves.get_by_role("button")).to_have_text(["Record red-letter invoices"])
    expect(page.get_by_text("Not required", exact=True)).to_be_visible()
    assert service.call("GET", "/v1/invoiceable-summary", key)["invoice_deficit"] == "300.00"
    moves.get_by_role("button", name="Record red-letter invoices").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Red-letter invoice number for DEF-0001").fill("RED-0001")
    pages.check("red-invoices")
    dialog.get_by_role("button", name="Record red-letter invoices").click()
    expect(dialog).to_be_hidden()
    expect(moves.get_by_text("No move is possible in this status.")).to_be_visible()
    table = page.get_by_role("table").filter(has_text="Reverses invoice")
    expect(table).to_be_visible()
    expect(table.get_by_text("RED-0001", exact=True)).to_be_visible()
    expect(table.get_by_text("-¥1,000.00")).to_be_visible()
    summary = service.call("GET", "/v1/invoiceable-summary", key)
    assert summary["invoice_deficit"] == "0.00"
    assert summary["invoiceable_amount"] == "1400.00"
    ctx.close()
    pages.assert_accessible()
