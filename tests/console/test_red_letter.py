"""The red-letter journey in the console: a special invoice's reversal waits for the customer, who
sees the deadline and confirms it; finance records the red-letter invoice in its form; the customer
re-issues another request and lands on the replacing one. Every page is checked with axe-core."""

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.console.browser import TAXPAYER_ID, Pages, Service, new_context, screenshot_dir
from tests.console.test_journey import sign_in


def _delivered(service: Service, key: str, bill_id: str, profile: str, address: str, number: str) -> str:
    finance = service.finance_key
    body = {"bill_ids": [bill_id], "profile_id": profile, "address_id": address}
    request = service.call("POST", "/v1/invoice-requests", key, body)
    path = f"/v1/invoice-requests/{request['id']}"
    service.call("POST", f"{path}/start", finance)
    service.call(
        "POST", f"{path}/issue", finance, {"invoices": [{"number": number, "amount": request["amount"]}]}
    )
    service.call("POST", f"{path}/deliver", finance, {"carrier": "SF Express", "tracking_number": "SF2000"})
    return str(request["id"])


def test_confirm_a_reversal_by_its_deadline_then_reissue(
    browser: Any, service: Service, tmp_path: Path
) -> None:
    seeded = service.seed("Red Letter Cloud", bills=["800.00", "600.00"], card=None)
    key = seeded.customer_key
    service.call(
        "PUT",
        "/v1/certification",
        key,
        {"enterprise_name": "Red Letter Cloud Ltd.", "taxpayer_id": TAXPAYER_ID},
    )
    profile = service.call(
        "POST",
        "/v1/invoice-profiles",
        key,
        {
            "invoice_type": "vat_special",
            "bank_name": "Bank of Fuzhou",
            "bank_account": "6222020200000000001",
            "registered_address": "1 Cloud Road, Fuzhou",
            "registered_phone": "0591-88888888",
            "is_default": True,
        },
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
    bills = service.call("GET", "/v1/bills", key)["data"]
    first = _delivered(service, key, bills[0]["id"], profile["id"], address["id"], "BLUE-0001")
    second = _delivered(service, key, bills[1]["id"], profile["id"], address["id"], "BLUE-0002")
    reversing = service.call(
        "POST", f"/v1/invoice-requests/{first}/reverse", service.finance_key, {"reason": "Wrong bank account"}
    )
    assert reversing["red_letter"]["confirmation"] == "awaiting_buyer"

    ctx = new_context(browser, "en-US")
    page = ctx.new_page()
    pages = Pages(page, screenshot_dir(tmp_path), "red-letter-")
    sign_in(page, service.base_url, key)
    page.goto(f"{service.base_url}/console/requests/{first}")
    expect(page.get_by_text("Awaiting your confirmation")).to_be_visible()
    expect(page.get_by_text("Confirm or decline by")).to_be_visible()
    expect(page.get_by_role("button", name="Confirm reversal")).to_be_visible()
    expect(page.get_by_role("button", name="Decline reversal")).to_be_visible()
    pages.check("awaiting", screenshot=True)
    page.get_by_role("button", name="Confirm reversal").click()
    page.get_by_label("Confirmation form number").fill("4403002412030001")
    pages.check("confirm")
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()
    expect(page.get_by_text("4403002412030001", exact=True)).to_be_visible()
    note = "Confirmed by the buyer; red-letter confirmation form 4403002412030001"
    expect(page.get_by_text(note)).to_be_visible()
    expect(page.get_by_role("button", name="Confirm reversal")).to_be_hidden()

    # Finance records the red-letter invoice; the customer sees it beside the blue one.
    red = {"invoices": [{"number": "RED-0002", "blue_number": "BLUE-0001"}]}
    reversed_ = service.call("POST", f"/v1/invoice-requests/{first}/red-invoices", service.finance_key, red)
    assert reversed_["status"] == "reversed"
    page.reload()
    table = page.get_by_role("table").filter(has_text="Reverses invoice")
    expect(table.get_by_text("RED-0002", exact=True)).to_be_visible()
    pages.check("reversed")

    # Re-issue the other request: the reason, then the replacing request.
    page.goto(f"{service.base_url}/console/requests/{second}")
    page.get_by_role("button", name="Re-issue").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Reason").fill("The header must be the subsidiary's")
    pages.check("reissue")
    dialog.get_by_role("button", name="Re-issue").click()
    expect(page).not_to_have_url(f"{service.base_url}/console/requests/{second}")
    expect(page.get_by_role("button", name="Cancel request")).to_be_visible()
    replacement = page.url.rsplit("/", 1)[-1]
    shown = service.call("GET", f"/v1/invoice-requests/{replacement}", key)
    assert shown["replaces_request_id"] == second and shown["status"] == "pending"
    pages.check("replacement")
    ctx.close()
    pages.assert_accessible()
