"""Issuing through the tax platform in the console, against the built-in sandbox and a real worker:
finance submits a processing request, the platform refuses it once (an injected fault) and the page
shows why; submitted again, the request is `issuing`, then `issued` with the platform's number, and
the customer downloads the invoice's PDF. Every page is checked with axe-core."""

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.console.browser import TAXPAYER_ID, Pages, Service, new_context, screenshot_dir, serving
from tests.console.test_journey import sign_in


# This module's own server: the sandbox tax platform and a worker beside `invoicing serve`.
@pytest.fixture(scope="module")
def service(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    env = {
        "INVOICING_TAX_PLATFORM": "sandbox",
        # Long enough for the page to show `issuing`, short enough for the test.
        "INVOICING_TAX_SANDBOX_DELAY_SECONDS": "2",
    }
    with serving(tmp_path_factory.mktemp("console-tax"), env) as started:
        yield started


def _processing(service: Service) -> tuple[str, str]:
    """A customer's key and their paper request, started by finance."""
    seeded = service.seed("Tax Platform Cloud", bills=["1200.00"], card=None)
    key = seeded.customer_key
    service.call(
        "PUT", "/v1/certification", key, {"enterprise_name": "Tax Cloud Ltd.", "taxpayer_id": TAXPAYER_ID}
    )
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
    bill = service.call("GET", "/v1/bills", key)["data"][0]
    body = {"bill_ids": [bill["id"]], "profile_id": profile["id"], "address_id": address["id"]}
    request = service.call("POST", "/v1/invoice-requests", key, body)
    service.call("POST", f"/v1/invoice-requests/{request['id']}/start", service.finance_key)
    return key, str(request["id"])


def _refuse_next_submission(service: Service) -> None:
    """Arm the sandbox's fault (the table `SandboxProvider.inject_fault` writes): the next submission
    is refused, its quota exhausted."""
    database = service.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO tax_sandbox_fault (kind, operation, seller_taxpayer_id, remaining, code,"
            " message, created_at) VALUES ('refuse', NULL, NULL, 1, 'quota_exhausted', ?,"
            " '2026-01-05 02:00:00.000000')",
            ("The seller's invoicing quota is exhausted",),
        )


def _issue_via_platform(page: Any) -> None:
    page.get_by_role("button", name="Issue via tax platform").click()
    page.get_by_role("button", name="Confirm", exact=True).click()


def test_issue_via_tax_platform_after_a_refusal(browser: Any, service: Service, tmp_path: Path) -> None:
    key, request_id = _processing(service)
    _refuse_next_submission(service)

    ctx = new_context(browser, "en-US")
    page = ctx.new_page()
    pages = Pages(page, screenshot_dir(tmp_path), "tax-platform-")
    sign_in(page, service.base_url, service.finance_key)
    expect(page.get_by_role("heading", name="Invoice request queue")).to_be_visible()
    page.goto(f"{service.base_url}/console/finance/requests/{request_id}")
    expect(page.get_by_role("button", name="Issue via tax platform")).to_be_visible()
    pages.check("processing")

    # Refused: back to processing, the platform's reason on the page (which re-reads while issuing).
    _issue_via_platform(page)
    alert = page.get_by_test_id("issue-error")
    expect(alert).to_have_text(
        "The tax platform did not issue (quota_exhausted): The seller's invoicing quota is exhausted"
    )
    expect(page.get_by_role("button", name="Issue via tax platform")).to_be_visible()
    pages.check("refused", screenshot=True)

    # Submitted again: issuing, then issued with the platform's number.
    _issue_via_platform(page)
    expect(page.get_by_text("Being issued (tax platform)", exact=True).first).to_be_visible()
    expect(alert).to_be_hidden()
    pages.check("issuing")
    expect(page.get_by_text("Issued", exact=True).first).to_be_visible(timeout=60_000)
    issued = service.call("GET", f"/v1/invoice-requests/{request_id}", service.finance_key)
    assert issued["status"] == "issued" and issued["issue_error"] is None
    (invoice,) = issued["invoices"]
    number = invoice["number"]
    expect(page.get_by_role("row").filter(has_text=number)).to_be_visible()
    pages.check("issued", screenshot=True)
    ctx.close()

    # The customer sees the invoice and downloads its PDF.
    ctx = new_context(browser, "en-US")
    page = ctx.new_page()
    pages.page = page
    sign_in(page, service.base_url, key)
    page.goto(f"{service.base_url}/console/requests/{request_id}")
    row = page.get_by_role("row").filter(has_text=number)
    expect(row).to_be_visible()
    pages.check("customer")
    with page.expect_download() as download:
        row.get_by_role("button", name="Download PDF").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    ctx.close()
    pages.assert_accessible()
