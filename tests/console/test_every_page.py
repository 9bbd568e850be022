# ruff: noqa: RUF002  (the docstring names the phone viewport with a multiplication sign)
"""Every page of the console — customer and finance — on a phone (390×844, in English and in Chinese)
and on a desktop in Chinese: nothing wider than the window, no text wider than its box, no short word
or money figure broken over lines, no serious axe-core finding. On the phone the menu is a drawer
opened from the header: its button does not cover the page title, it covers neither the content nor the
language switch once closed, and navigating closes it. In Chinese no word the server writes in English
(`Bill …`, `Stored-value card …`, `Invoices …`, `Emailed to …`) reaches the page, and a delivered
electronic request says 已交付 (not 已寄送, posted)."""

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.console.browser import TAXPAYER_ID, Pages, Seeded, Service, screenshot_dir
from tests.console.layout import LayoutChecks, overlaps
from tests.console.test_journey import pdf, sign_in

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@dataclass(frozen=True)
class Words:
    """The texts the journey finds its way by, in one language."""

    locale: str
    sign_in: str
    key: str
    open_menu: str
    overview: str
    requests: str
    profiles: str
    addresses: str
    certification: str
    auto_invoicing: str
    queue: str
    queue_menu: str
    request_now: str
    next: str
    view: str
    delivered: str
    sent: str
    start: str
    issue: str
    language_switch: str


ENGLISH = Words(
    locale="en-US",
    sign_in="Sign in",
    key="API key",
    open_menu="Open the menu",
    overview="Invoice Management",
    requests="Requested Invoices",
    profiles="Invoice Information",
    addresses="Sending Addresses",
    certification="Real-name Authentication",
    auto_invoicing="Automatic Invoicing",
    queue="Invoice request queue",
    queue_menu="Request queue",
    request_now="Request Now",
    next="Next",
    view="View",
    delivered="Delivered",
    sent="Email sent",
    start="Start processing",
    issue="Issue invoices",
    language_switch="English",
)
CHINESE = Words(
    locale="zh-CN",
    sign_in="登录",
    key="API 密钥",
    open_menu="打开菜单",
    overview="发票管理",
    requests="已申请发票",
    profiles="发票信息",
    addresses="寄送地址",
    certification="实名认证",
    auto_invoicing="自动开票",
    queue="开票申请队列",
    queue_menu="开票申请队列",
    request_now="立即申请",
    next="下一步",
    view="查看",
    delivered="已交付",
    sent="邮件已发送",
    start="开始处理",
    issue="开具发票",
    language_switch="中文",
)
# What the server writes in English; none of it may show on a Chinese page.
# The pictures docs/CONSOLE.md shows (`make console-screenshots` writes them to docs/console).
SCREENSHOTS = {
    "phone-en-menu-open",
    "phone-en-overview",
    "phone-en-request-detail-delivered",
    "phone-zh-overview",
    "phone-zh-finance-issue",
    "desktop-zh-request-detail-delivered",
}
ENGLISH_FROM_THE_SERVER = re.compile(
    r"\bBill \d{4}-\d{2}|Stored-value card|\bInvoices \S|Emailed to|Carrier:|settles"
)


@dataclass
class World:
    """One customer with every kind of request a page can show, made through the API."""

    seeded: Seeded
    delivered_id: str  # electronic, two invoices with PDFs, emailed
    processing_id: str  # finance can issue it
    pending_id: str


def build_world(service: Service, name: str) -> World:
    seeded = service.seed(name, bills=["12800.00", "800.50", "640.00", "99.90"], card="3000.00")
    key = seeded.customer_key
    service.call(
        "PUT", "/v1/certification", key, {"enterprise_name": f"{name} Ltd.", "taxpayer_id": TAXPAYER_ID}
    )
    profile = service.call(
        "POST", "/v1/invoice-profiles", key, {"invoice_type": "electronic_ordinary", "is_default": True}
    )
    service.call(
        "POST",
        "/v1/invoice-profiles",
        key,
        {
            "invoice_type": "vat_special",
            "bank_name": "China Merchants Bank Fuzhou Branch",
            "bank_account": "591902000010101",
            "registered_address": "89 Software Avenue, Gulou District, Fuzhou",
            "registered_phone": "0591-87654321",
        },
    )
    address = service.call(
        "POST",
        "/v1/mailing-addresses",
        key,
        {
            "recipient": "Han Meimei",
            "phone": "13800138000",
            "email": "finance@polaris.example",
            "cc_emails": ["cfo@polaris.example", "archive@polaris.example"],
            "address": "89 Software Avenue, Gulou District, Fuzhou",
            "postal_code": "350001",
            "is_default": True,
        },
    )
    bills = service.call("GET", "/v1/bills?invoiceable=true&limit=10", key)["data"]
    cards = service.call("GET", "/v1/stored-value-cards?invoiceable=true", key)["data"]

    def request(bill_ids: list[str], card_ids: list[str]) -> str:
        body = {
            "bill_ids": bill_ids,
            "stored_value_card_ids": card_ids,
            "profile_id": profile["id"],
            "address_id": address["id"],
        }
        return str(service.call("POST", "/v1/invoice-requests", key, body)["id"])

    finance = service.finance_key
    delivered = request([bills[0]["id"]], [cards[0]["id"]])  # 12800.00 + 3000.00
    service.call("POST", f"/v1/invoice-requests/{delivered}/start", finance)
    serial = uuid.uuid4().int % 10**12
    numbers = (f"2535{serial:012d}01", f"2535{serial:012d}02")
    service.call(
        "POST",
        f"/v1/invoice-requests/{delivered}/issue",
        finance,
        {
            "invoices": [
                {"number": numbers[0], "amount": "10000.00"},
                {"number": numbers[1], "amount": "5800.00"},
            ]
        },
    )
    for number in numbers:
        uploaded = service.http.put(
            f"/v1/invoice-requests/{delivered}/invoices/{number}/files/pdf",
            content=pdf(number),
            headers={"Authorization": f"Bearer {finance}", "Content-Type": "application/pdf"},
        )
        assert uploaded.status_code == 200, uploaded.text
    service.call("POST", f"/v1/invoice-requests/{delivered}/deliver", finance, {})
    processing = request([bills[1]["id"]], [])
    service.call("POST", f"/v1/invoice-requests/{processing}/start", finance)
    pending = request([bills[2]["id"]], [])
    return World(seeded=seeded, delivered_id=delivered, processing_id=processing, pending_id=pending)


def go(page: Any, words: Words, name: str, phone: bool) -> None:
    """Follow a menu entry: on the phone through the drawer, which closes on arrival."""
    if phone:
        page.get_by_role("button", name=words.open_menu).click()
        drawer = page.locator(".console-drawer")
        expect(drawer).to_be_visible()
        drawer.get_by_role("link", name=name, exact=True).click()
        expect(drawer).to_be_hidden()
    else:
        page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()


@pytest.mark.parametrize(
    ("label", "words", "viewport"),
    [("phone-en", ENGLISH, PHONE), ("phone-zh", CHINESE, PHONE), ("desktop-zh", CHINESE, DESKTOP)],
    ids=["phone-en", "phone-zh", "desktop-zh"],
)
def test_every_page_fits_and_speaks_the_language(
    browser: Any, service: Service, tmp_path: Path, label: str, words: Words, viewport: dict[str, int]
) -> None:
    world = build_world(service, f"Polaris {label}")
    phone = viewport is PHONE
    chinese = words is CHINESE
    ctx = browser.new_context(
        locale=words.locale,
        timezone_id="Asia/Shanghai",
        viewport=viewport,
        accept_downloads=True,
        reduced_motion="reduce",
        is_mobile=phone,
        has_touch=phone,
    )
    page = ctx.new_page()
    shots = screenshot_dir(tmp_path)
    pages = Pages(page, shots, f"{label}-")
    layout = LayoutChecks(page)
    base = service.base_url
    shown: list[str] = []

    def check(name: str) -> None:
        layout.check(name)
        pages.check(name, screenshot=f"{label}-{name}" in SCREENSHOTS)
        shown.append(page.locator("body").inner_text())

    page.goto(f"{base}/console/")
    expect(page.get_by_role("button", name=words.sign_in)).to_be_visible()
    check("sign-in")
    sign_in(page, base, world.seeded.customer_key, button=words.sign_in, label=words.key)
    title = page.get_by_role("heading", name=words.overview, level=1)
    expect(title).to_be_visible()
    expect(page.get_by_test_id("invoiceable-amount")).to_have_text(re.compile(r"¥"))
    if phone:
        # The menu button sits in the header beside the title, never over it; the switch stays visible.
        menu_button = page.get_by_role("button", name=words.open_menu)
        assert not overlaps(menu_button, title)
        switch = page.get_by_text(words.language_switch, exact=True)
        expect(switch).to_be_visible()
        assert not overlaps(menu_button, switch)
        menu_button.click()
        expect(page.locator(".console-drawer")).to_be_visible()
        check("menu-open")
        page.keyboard.press("Escape")
        expect(page.locator(".console-drawer")).to_be_hidden()
        # Content has the whole width again: the title box spans most of the screen.
        box = title.bounding_box()
        assert box is not None and box["width"] > viewport["width"] * 0.8, box
    check("overview")

    page.get_by_role("button", name=words.request_now).click()
    page.locator(".ant-table-row .ant-checkbox-input").first.check()
    check("request-select")
    page.get_by_role("button", name=words.next).click()
    check("request-details")

    go(page, words, words.requests, phone)
    expect(page.get_by_role("heading", name=words.requests, level=1)).to_be_visible()
    check("requests")

    page.goto(f"{base}/console/requests/{world.delivered_id}")
    expect(page.get_by_text(words.sent, exact=True)).to_be_visible()
    expect(page.locator(".ant-card").first.get_by_text(words.delivered, exact=True)).to_be_visible()
    check("request-detail-delivered")
    if chinese:
        body = page.locator("body").inner_text()
        assert "已寄送" not in body  # an email is sent (已发送), the request delivered (已交付), not posted
        assert "已发送至 finance@polaris.example、cfo@polaris.example、archive@polaris.example" in body
        assert re.search(r"账单 \d{4}-\d{2}", body) and "储值卡 SVC-POLA-0001" in body
        assert re.search(r"发票 2535\d+、2535\d+", body)
    page.goto(f"{base}/console/requests/{world.pending_id}")
    expect(page.locator(".ant-timeline")).to_be_visible()
    check("request-detail-pending")

    go(page, words, words.profiles, phone)
    expect(page.get_by_role("heading", name=words.profiles, level=1)).to_be_visible()
    check("invoice-information")
    page.locator("main").get_by_role("button").first.click()  # New invoice information
    expect(page.get_by_role("dialog")).to_be_visible()
    check("invoice-information-new")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()

    go(page, words, words.addresses, phone)
    expect(page.get_by_role("heading", name=words.addresses, level=1)).to_be_visible()
    check("sending-addresses")
    go(page, words, words.certification, phone)
    expect(page.get_by_role("heading", name=words.certification, level=1)).to_be_visible()
    check("certification")
    go(page, words, words.auto_invoicing, phone)
    expect(page.get_by_role("heading", name=words.auto_invoicing, level=1)).to_be_visible()
    check("auto-invoicing")
    go(page, words, words.overview, phone)
    expect(page.get_by_role("heading", name=words.overview, level=1)).to_be_visible()

    # The finance desk.
    page.evaluate("() => sessionStorage.clear()")
    sign_in(page, base, service.finance_key, button=words.sign_in, label=words.key)
    expect(page.get_by_role("heading", name=words.queue, level=1)).to_be_visible()
    check("finance-queue")
    page.goto(f"{base}/console/finance/requests/{world.pending_id}")
    expect(page.get_by_test_id("moves").get_by_role("button", name=words.start)).to_be_visible()
    check("finance-request-pending")
    page.goto(f"{base}/console/finance/requests/{world.processing_id}")
    page.get_by_test_id("moves").get_by_role("button", name=words.issue).click()
    expect(page.get_by_role("dialog")).to_be_visible()
    check("finance-issue")
    page.keyboard.press("Escape")
    page.goto(f"{base}/console/finance/requests/{world.delivered_id}")
    expect(page.locator(".ant-timeline")).to_be_visible()
    check("finance-request-delivered")
    if phone:
        go(page, words, words.queue_menu, phone)
        expect(page.get_by_role("heading", name=words.queue, level=1)).to_be_visible()
    ctx.close()

    if chinese:
        english = {m.group(0) for text in shown for m in ENGLISH_FROM_THE_SERVER.finditer(text)}
        assert not english, f"English words from the server on Chinese pages: {sorted(english)}"
    layout.assert_clean()
    pages.assert_accessible()
