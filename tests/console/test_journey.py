"""The customer and the finance desk, in a real browser, as the product page tells it: sign in, certify,
add invoice information and an address, request an invoice for two bills and a card, then finance
starts it, issues it split in two, uploads the PDFs and delivers it; the worker emails them; the
customer sees it delivered, downloads a PDF and has it emailed again. Every page is checked with
axe-core on the way."""

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from playwright.sync_api import expect

from tests.console.browser import (
    TAXPAYER_ID,
    Pages,
    Service,
    new_context,
    screenshot_dir,
    session_storage_key,
)

INVOICE_NUMBERS = ("25350000000000000101", "25350000000000000102")


def pdf(number: str) -> bytes:
    """A small PDF, different for each invoice."""
    return (
        b"%PDF-1.4\n% invoice "
        + number.encode()
        + b"\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def mails(directory: Path) -> list[EmailMessage]:
    """The messages the service wrote as .eml files (no SMTP server configured)."""
    return [
        cast(EmailMessage, message_from_bytes(path.read_bytes(), policy=policy.default))
        for path in sorted(directory.glob("**/*.eml"))
    ]


def sign_in(page: Any, base_url: str, key: str, button: str = "Sign in", label: str = "API key") -> None:
    page.goto(f"{base_url}/console/")
    expect(page).to_have_url(f"{base_url}/console/sign-in")
    page.get_by_label(label).fill(key)
    page.get_by_role("button", name=button).click()


def choose(page: Any, label: str, option: str) -> None:
    """Pick an option of an Ant Design select by its label."""
    page.get_by_label(label).click()
    page.locator(".ant-select-item-option", has_text=option).first.click()


def test_customer_requests_and_finance_issues_and_delivers(
    browser: Any, service: Service, tmp_path: Path
) -> None:
    seeded = service.seed("Acme Cloud", bills=["1200.00", "800.50", "640.00"], card="1000.00")
    shots = screenshot_dir(tmp_path)
    ctx = new_context(browser, "en-US")
    page = ctx.new_page()
    pages = Pages(page, shots, "")
    base = service.base_url

    # Sign in: the key goes to sessionStorage, never into the URL.
    page.goto(f"{base}/console/")
    expect(page.get_by_role("heading", name="Sign in to the billing center")).to_be_visible()
    pages.check("sign-in", screenshot=True)
    # The demo command is shown as code, not between literal backticks.
    expect(page.locator("code", has_text="invoicing demo")).to_be_visible()
    assert "`" not in page.locator("main").inner_text()
    sign_in(page, base, seeded.customer_key)
    expect(page.get_by_role("heading", name="Invoice Management")).to_be_visible()
    assert seeded.customer_key not in page.url
    assert seeded.customer_key in (session_storage_key(page) or "")

    # What blocks a request, each with a link to what fixes it.
    blockers = page.locator("[data-blocker]")
    expect(page.locator('[data-blocker="certification_required"]')).to_be_visible()
    expect(page.locator('[data-blocker="no_usable_profile"]')).to_be_visible()
    expect(page.locator('[data-blocker="no_address"]')).to_be_visible()
    expect(page.get_by_role("button", name="Request Now")).to_be_disabled()
    expect(page.get_by_test_id("invoiceable-amount")).to_have_text("¥3,640.50")
    assert blockers.count() == 3
    pages.check("overview-blocked", screenshot=True)

    # Certify: a wrong taxpayer id is refused by the API and shown next to the field.
    page.locator('[data-blocker="certification_required"]').get_by_role("link", name="Fix it").click()
    expect(page.get_by_role("heading", name="Real-name Authentication")).to_be_visible()
    page.get_by_label("Enterprise name").fill("Acme Cloud Technology Co., Ltd.")
    page.get_by_label("Taxpayer identification number").fill("91350100M000100Y44")
    page.get_by_role("button", name="Certify").click()
    field_error = page.locator(".ant-form-item", has=page.get_by_label("Taxpayer identification number"))
    expect(field_error.locator(".ant-form-item-explain-error")).to_be_visible()
    pages.check("certification-error")
    page.get_by_label("Taxpayer identification number").fill(TAXPAYER_ID)
    page.get_by_role("button", name="Certify").click()
    expect(page.get_by_test_id("certification-status")).to_have_text("Certified")
    pages.check("certification", screenshot=True)

    # Invoice information: the fields follow the type (a VAT special invoice needs the bank details).
    page.get_by_role("link", name="Invoice Information").click()
    page.get_by_role("button", name="New invoice information").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("VAT special invoice (paper)").click()
    expect(dialog.get_by_text("A VAT special invoice needs the bank name")).to_be_visible()
    dialog.get_by_text("Electronic ordinary invoice").click()
    expect(dialog.get_by_text("A VAT special invoice needs the bank name")).to_be_hidden()
    expect(dialog.get_by_text("Acme Cloud Technology Co., Ltd.")).to_be_visible()
    pages.check("invoice-information-new")
    dialog.get_by_label("Use as default").check()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    row = page.get_by_role("row", name="Electronic ordinary invoice")
    expect(row.get_by_text("Usable", exact=True)).to_be_visible()
    pages.check("invoice-information", screenshot=True)

    # Sending address: a bad phone number is refused by the API next to the field, then fixed.
    page.get_by_role("link", name="Sending Addresses").click()
    page.get_by_role("button", name="New address").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Recipient").fill("Li Lei")
    dialog.get_by_label("Telephone").fill("12345")
    dialog.get_by_label("Email", exact=True).fill("finance@acme.example")
    dialog.get_by_label("Detailed address").fill("1 Cloud Road, Fuzhou")
    dialog.get_by_label("Cc emails").fill("cfo@acme.example")
    dialog.get_by_label("Cc emails").press("Enter")
    dialog.get_by_role("button", name="Save").click()
    phone_item = dialog.locator(".ant-form-item", has=page.get_by_label("Telephone"))
    expect(phone_item.locator(".ant-form-item-explain-error")).to_be_visible()
    # The message is shown once, next to its field; the alert above never shows the raw path.
    expect(dialog.get_by_role("alert")).to_have_text("Check the fields marked below.")
    assert "body.phone" not in dialog.inner_text()
    message = phone_item.locator(".ant-form-item-explain-error").inner_text()
    assert dialog.inner_text().count(message) == 1
    dialog.get_by_label("Telephone").fill("13812345678")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("cell", name="finance@acme.example")).to_be_visible()
    expect(page.get_by_role("cell", name="cfo@acme.example")).to_be_visible()
    pages.check("sending-addresses", screenshot=True)

    # Nothing blocks any more: the invoiceable amount beside Request Now, and the 12-month chart.
    page.get_by_role("link", name="Invoice Management").click()
    expect(page.get_by_role("button", name="Request Now")).to_be_enabled()
    expect(page.locator("[data-blocker]")).to_have_count(0)
    expect(page.get_by_role("img", name="Chart of cash billed")).to_be_visible()
    pages.check("overview", screenshot=True)

    # The two-step request: two bills and the card, with the running total.
    page.get_by_role("button", name="Request Now").click()
    expect(page.get_by_role("heading", name="Request Invoice")).to_be_visible()
    page.get_by_role("checkbox", name=seeded.periods[0]).check()
    page.get_by_role("checkbox", name=seeded.periods[1]).check()
    page.get_by_role("checkbox", name=seeded.card_no).check()
    expect(page.get_by_test_id("request-amount")).to_have_text("¥3,000.50")
    pages.check("request-select", screenshot=True)
    page.get_by_role("button", name="Next").click()
    pages.check("request-details", screenshot=True)
    page.get_by_label("Remark").fill("Please issue before month end")

    # A retry makes one request: the first answer is lost on the way back, the user clicks again, and
    # the same Idempotency-Key replays the request the service already made.
    sent_keys: list[str] = []

    def lose_first_answer(route: Any) -> None:
        sent_keys.append(route.request.headers.get("idempotency-key", ""))
        if len(sent_keys) == 1:
            route.fetch()  # the service makes the request and answers ...
            route.abort("connectionreset")  # ... but the answer never reaches the browser
        else:
            route.continue_()

    page.route("**/v1/invoice-requests", lose_first_answer)
    page.get_by_role("button", name="Request Invoice").click()
    expect(page.get_by_role("alert").filter(has_text="could not be reached")).to_be_visible()
    expect(page.get_by_role("button", name="Request Invoice")).to_be_enabled()
    page.get_by_role("button", name="Request Invoice").click()
    expect(page).to_have_url(re.compile(r"/console/requests/[0-9a-f-]{36}$"))
    expect(page.get_by_text("Lines", exact=True)).to_be_visible()
    page.unroute("**/v1/invoice-requests")
    assert len(sent_keys) == 2 and sent_keys[0] and sent_keys[0] == sent_keys[1]
    requests = service.requests_of(seeded.account_id)
    assert len(requests) == 1
    request = requests[0]
    assert request["amount"] == "3000.50"
    assert request["status"] == "pending"
    expect(page.get_by_text("Pending").first).to_be_visible()
    # Dates read the same in every language: year-month-day.
    expect(page.locator("time").first).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$"))
    pages.check("request-detail-pending")

    # Requested invoices: the list with its status filter.
    page.get_by_role("link", name="Requested Invoices").first.click()
    expect(page.get_by_role("row").filter(has_text="¥3,000.50")).to_have_count(1)
    pages.check("requests", screenshot=True)

    # Sign out clears the key.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to the billing center")).to_be_visible()
    assert session_storage_key(page) is None

    # Finance: the queue, the request, exactly the moves it allows. Signing in tries no call the
    # finance key is refused (no 403 from /v1/account).
    refused: list[str] = []
    page.on("response", lambda response: refused.append(response.url) if response.status == 403 else None)
    sign_in(page, base, service.finance_key)
    expect(page.get_by_role("heading", name="Invoice request queue")).to_be_visible()
    assert refused == []
    page.get_by_label("Account ID").fill(seeded.account_id)
    page.get_by_label("Account ID").press("Enter")
    expect(page.get_by_role("row").filter(has_text="¥3,000.50")).to_have_count(1)
    # The customer's name beside its account id.
    expect(page.get_by_role("row").filter(has_text="¥3,000.50")).to_contain_text("Acme Cloud")
    pages.check("finance-queue", screenshot=True)
    page.get_by_role("row").filter(has_text="¥3,000.50").get_by_role("link", name="View").click()
    moves = page.get_by_test_id("moves")
    expect(moves.get_by_role("button")).to_have_text(["Start processing", "Reject"])
    moves.get_by_role("button", name="Start processing").click()
    # The confirmation says what starting does, not only the button's name.
    expect(page.get_by_text("The customer can no longer cancel it")).to_be_visible()
    page.get_by_role("button", name="Confirm").click()
    expect(moves.get_by_role("button")).to_have_text(["Issue invoices", "Reject"])
    pages.check("finance-detail-processing")

    # Issue it split in two: a wrong sum is refused before anything is sent.
    moves.get_by_role("button", name="Issue invoices").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Invoice number 1").fill("25350000000000000101")
    dialog.get_by_label("Amount 1").fill("1500.00")
    dialog.get_by_role("button", name="Add an invoice").click()
    expect(dialog.get_by_label("Amount 2")).to_have_value("1500.50")
    dialog.get_by_label("Invoice number 2").fill("25350000000000000102")
    dialog.get_by_label("Amount 2").fill("1500.00")
    expect(dialog.get_by_test_id("issue-remaining")).to_contain_text("¥0.50")
    dialog.get_by_role("button", name="Issue invoices").click()
    expect(dialog.get_by_role("alert")).to_contain_text("they must add up to ¥3,000.50")
    assert service.requests_of(seeded.account_id)[0]["status"] == "processing"
    pages.check("finance-issue", screenshot=True)
    dialog.get_by_label("Amount 2").fill("1500.50")
    expect(dialog.get_by_test_id("issue-remaining")).to_contain_text("¥0.00")
    # The same number twice: the API names it, and each field that carries it says so.
    dialog.get_by_label("Invoice number 2").fill(INVOICE_NUMBERS[0])
    dialog.get_by_role("button", name="Issue invoices").click()
    for index in (1, 2):
        item = dialog.locator(".ant-form-item", has=page.get_by_label(f"Invoice number {index}"))
        expect(item.locator(".ant-form-item-explain-error")).to_contain_text("given more than once")
    expect(dialog.get_by_role("alert")).to_contain_text(INVOICE_NUMBERS[0])
    dialog.get_by_label("Invoice number 2").fill(INVOICE_NUMBERS[1])
    dialog.get_by_role("button", name="Issue invoices").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("cell", name="25350000000000000102", exact=True)).to_be_visible()
    # An electronic invoice is emailed with its PDFs: Deliver is offered once every invoice has one.
    expect(moves.get_by_role("button")).to_have_text(["Reverse (red-letter)"])
    for number in INVOICE_NUMBERS:
        with page.expect_file_chooser() as chooser:
            page.get_by_role("button", name=f"Upload PDF/OFD/XML for {number}").click()
        chooser.value.set_files(
            files=[{"name": f"{number}.pdf", "mimeType": "application/pdf", "buffer": pdf(number)}]
        )
        row = page.get_by_role("row").filter(has_text=number)
        expect(row.get_by_role("button", name="Download PDF")).to_be_visible()
    expect(moves.get_by_role("button")).to_have_text(["Deliver", "Reverse (red-letter)"])
    moves.get_by_role("button", name="Deliver").click()
    expect(page.get_by_role("dialog").get_by_text("Electronic invoice")).to_be_visible()
    page.get_by_role("dialog").get_by_role("button", name="Deliver").click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.get_by_text("Delivered").first).to_be_visible()
    # The worker emails the invoices; the page follows the delivery until it is sent.
    expect(page.get_by_text("Email sent")).to_be_visible(timeout=30_000)
    pages.check("finance-detail-delivered", screenshot=True)
    page.get_by_role("button", name="Sign out").click()
    messages = mails(service.mail_dir)
    assert len(messages) == 1
    sent = messages[0]
    assert "finance@acme.example" in sent["To"] and "cfo@acme.example" in (sent["Cc"] or "") + sent["To"]
    attached = {part.get_filename(): part.get_payload(decode=True) for part in sent.iter_attachments()}
    assert attached == {f"{number}.pdf": pdf(number) for number in INVOICE_NUMBERS}

    # The customer sees it delivered, with both invoices and the timeline.
    sign_in(page, base, seeded.customer_key)
    page.get_by_role("link", name="Requested Invoices").first.click()
    choose(page, "Status", "Delivered")
    row = page.get_by_role("row").filter(has_text="¥3,000.50")
    expect(row).to_have_count(1)
    row.get_by_role("link", name="View").click()
    expect(page.get_by_role("cell", name="25350000000000000101", exact=True)).to_be_visible()
    timeline = page.locator(".ant-timeline")
    for status in ("Pending", "Processing", "Issued", "Delivered"):
        expect(timeline.get_by_text(status, exact=True)).to_be_visible()
    expect(page.get_by_text("Email sent")).to_be_visible()
    pages.check("request-detail-delivered", screenshot=True)

    # The customer downloads a PDF (the key stays in a header: the link holds no secret) ...
    first = INVOICE_NUMBERS[0]
    with page.expect_download() as download:
        page.get_by_role("row").filter(has_text=first).get_by_role("button", name="Download PDF").click()
    assert download.value.suggested_filename == f"{first}.pdf"
    assert Path(download.value.path()).read_bytes() == pdf(first)

    # ... and has the invoices emailed again, to another address.
    page.get_by_role("button", name="Resend by email").click()
    dialog = page.get_by_role("dialog")
    pages.check("resend")
    dialog.get_by_role("textbox").fill("boss@acme.example")
    dialog.get_by_role("button", name="Resend by email").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("boss@acme.example")).to_be_visible()
    expect(page.get_by_text("Email sent")).to_be_visible(timeout=30_000)
    again = [m for m in mails(service.mail_dir) if "boss@acme.example" in m["To"]]
    assert len(again) == 1

    # Automatic invoicing, with the invoice information and address just made.
    page.get_by_role("link", name="Automatic Invoicing").click()
    expect(page.get_by_role("heading", name="Automatic Invoicing")).to_be_visible()
    page.get_by_label("Request invoices automatically every month").click()
    choose(page, "Invoice information", "Electronic ordinary invoice")
    choose(page, "Sending address", "Li Lei")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Automatic invoicing settings saved.")).to_be_visible()
    settings = service.call("GET", "/v1/auto-invoicing", seeded.customer_key)
    assert settings["enabled"] is True
    assert settings["profile_id"] == request["profile"]["id"]
    page.reload()
    expect(page.get_by_label("Request invoices automatically every month")).to_be_checked()
    pages.check("auto-invoicing", screenshot=True)
    page.goto(f"{base}/console/no-such-page")
    expect(page.get_by_text("This page does not exist.")).to_be_visible()
    ctx.close()
    pages.assert_accessible()
    # The console's calls are in the service's log, the keys never are.
    log = service.log_path.read_text()
    assert '"route": "/v1/invoice-requests"' in log
    assert seeded.customer_key not in log and service.finance_key not in log
