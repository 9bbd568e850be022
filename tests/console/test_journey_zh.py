# ruff: noqa: RUF001  (Chinese text uses full-width punctuation)
"""The same console in Chinese: a customer certifies, adds VAT special invoice information (the bank
fields it needs) and a postal address, requests an invoice; finance rejects it with a reason, and the
customer reads the reason in the timeline. The language switch is remembered."""

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.console.browser import (
    TAXPAYER_ID,
    Pages,
    Service,
    new_context,
    screenshot_dir,
    session_storage_key,
)
from tests.console.test_journey import sign_in

REASON = "开户银行账号与税务登记不一致，请更正后重新申请"


def test_chinese_customer_request_is_rejected_with_a_reason(
    browser: Any, service: Service, tmp_path: Path
) -> None:
    seeded = service.seed("Polaris Cloud", bills=["2048.00", "512.00"], card="300.00")
    ctx = new_context(browser, "zh-CN")
    page = ctx.new_page()
    pages = Pages(page, screenshot_dir(tmp_path), "zh-")
    base = service.base_url

    page.goto(f"{base}/console/")
    expect(page.get_by_role("heading", name="登录费用中心")).to_be_visible()
    pages.check("sign-in")
    sign_in(page, base, seeded.customer_key, button="登录", label="API 密钥")
    expect(page.get_by_role("heading", name="发票管理")).to_be_visible()
    expect(page.get_by_test_id("invoiceable-amount")).to_have_text("¥2,860.00")
    expect(page.get_by_text("请先完成企业实名认证。")).to_be_visible()

    page.get_by_role("link", name="实名认证").click()
    page.get_by_label("企业名称").fill("北极星云计算有限公司")
    page.get_by_label("纳税人识别号").fill(TAXPAYER_ID.lower())  # upper-cased by the service
    page.get_by_role("button", name="提交认证").click()
    expect(page.get_by_test_id("certification-status")).to_have_text("已认证")
    expect(page.get_by_text(TAXPAYER_ID, exact=True)).to_be_visible()

    # A VAT special invoice needs the bank details: the form asks for them before anything is sent.
    page.get_by_role("link", name="发票信息").click()
    page.get_by_role("button", name="新建发票信息").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("增值税专用发票（纸质）").click()
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.locator(".ant-form-item-explain-error")).to_have_count(4)
    dialog.get_by_label("开户银行").fill("招商银行福州分行")
    dialog.get_by_label("基本户账号").fill("591902000010101")
    dialog.get_by_label("注册场所地址").fill("福州市鼓楼区软件大道 89 号")
    dialog.get_by_label("注册固定电话").fill("0591-87654321")
    pages.check("invoice-information-new", screenshot=True)
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden()
    special = page.get_by_role("row", name=re.compile("增值税专用发票"))
    expect(special.get_by_text("可用", exact=True)).to_be_visible()
    pages.check("invoice-information")

    page.get_by_role("link", name="寄送地址").click()
    page.get_by_role("button", name="新建地址").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("收件人").fill("韩梅梅")
    dialog.get_by_label("联系电话").fill("0591-88888888")
    dialog.get_by_label("详细地址").fill("福州市鼓楼区软件大道 89 号 A 座")
    dialog.get_by_label("邮政编码").fill("350001")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden()
    pages.check("sending-addresses")

    page.get_by_role("link", name="发票管理").click()
    pages.check("overview", screenshot=True)
    page.get_by_role("button", name="立即申请").click()
    page.get_by_role("checkbox", name=seeded.periods[0]).check()
    expect(page.get_by_test_id("request-amount")).to_have_text("¥2,048.00")
    pages.check("request-select")
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("button", name="申请开票").click()
    expect(page).to_have_url(re.compile(r"/console/requests/[0-9a-f-]{36}$"))
    expect(page.get_by_text("待处理").first).to_be_visible()
    pages.check("request-detail")
    page.get_by_role("button", name="退出登录").click()

    # Finance rejects it with a reason (the finance desk in Chinese too: the choice is kept).
    sign_in(page, base, service.finance_key, button="登录", label="API 密钥")
    expect(page.get_by_role("heading", name="开票申请队列")).to_be_visible()
    page.get_by_label("账户 ID").fill(seeded.account_id)
    page.get_by_label("账户 ID").press("Enter")
    page.get_by_role("row").filter(has_text="¥2,048.00").get_by_role("link", name="查看").click()
    moves = page.get_by_test_id("moves")
    expect(moves.get_by_role("button")).to_have_text(["开始处理", "驳回"])
    moves.get_by_role("button", name="驳回").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="驳回").click()
    expect(dialog.get_by_text("请填写原因")).to_be_visible()
    dialog.get_by_label("原因").fill(REASON)
    pages.check("finance-reject", screenshot=True)
    dialog.get_by_role("button", name="驳回").click()
    expect(dialog).to_be_hidden()
    expect(moves.get_by_text("当前状态下无可执行的操作。")).to_be_visible()
    page.get_by_role("button", name="退出登录").click()

    # The customer reads the reason; the amounts are free again.
    sign_in(page, base, seeded.customer_key, button="登录", label="API 密钥")
    page.get_by_role("link", name="已申请发票").click()
    page.get_by_role("row").filter(has_text="¥2,048.00").get_by_role("link", name="查看").click()
    expect(page.get_by_text(REASON)).to_be_visible()
    expect(page.locator(".ant-timeline").get_by_text("已驳回", exact=True)).to_be_visible()
    pages.check("request-detail-rejected", screenshot=True)
    page.get_by_role("link", name="发票管理").click()
    expect(page.get_by_test_id("invoiceable-amount")).to_have_text("¥2,860.00")

    # Switch to English; the choice survives a reload.
    page.get_by_text("English", exact=True).click()
    expect(page.get_by_role("heading", name="Invoice Management")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Invoice Management")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"

    # A revoked key: the next call is refused, the console forgets the key and says why.
    keys = service.call("GET", f"/v1/accounts/{seeded.account_id}/api-keys", service.billing_key)
    for key in keys["data"]:
        service.http.delete(
            f"/v1/accounts/{seeded.account_id}/api-keys/{key['id']}",
            headers={"Authorization": f"Bearer {service.billing_key}"},
        )
    page.get_by_role("link", name="Requested Invoices").click()
    expect(page.get_by_text("Your key is no longer accepted; sign in again.")).to_be_visible()
    assert session_storage_key(page) is None
    ctx.close()
    pages.assert_accessible()
