"""GET …/draft.pdf: the request's draft as a real PDF, read back with pypdf (seller, buyer, every
amount), for the request's customer and finance only."""

import io

import httpx
import pypdf

from app.documents import PREVIEW_MARK
from tests.factories import Api
from tests.requests.helpers import create, ready_customer
from tests.sellers.helpers import make_seller


def _pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


async def test_the_draft_preview_carries_seller_buyer_and_every_amount(
    client: httpx.AsyncClient, api: Api
) -> None:
    seller = await make_seller(api, max_invoice_amount="600.00")
    ready = await ready_customer(api, bills=0)
    for period, cash, rate in (("2026-09", "1000.00", "0.06"), ("2026-10", "500.00", "0.13")):
        response = await client.put(
            f"/v1/accounts/{ready.customer.account_id}/bills/{period}",
            json={
                "total_amount": cash,
                "cash_amount": cash,
                "voucher_amount": "0.00",
                "stored_value_card_amount": "0.00",
                "seller_id": seller["id"],
                "tax_rate": rate,
            },
            headers=api.billing,
        )
        assert response.status_code == 201, response.text
        ready.bills.append(response.json())
    request = await create(client, ready)
    for headers in (ready.headers, api.finance):
        response = await client.get(f"/v1/invoice-requests/{request['id']}/draft.pdf", headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        pages = _pages(response.content)
        assert len(pages) == len(request["draft"]["invoices"]) == 3
        for page, invoice in zip(pages, request["draft"]["invoices"], strict=True):
            assert PREVIEW_MARK in page
            assert seller["name"] in page and seller["taxpayer_id"] in page
            assert ready.profile["title"] in page and ready.profile["taxpayer_id"] in page
            tokens = page.split()
            for line in invoice["lines"]:
                assert line["item_name"] in page
                for amount in (line["amount"], line["amount_excluding_tax"], line["tax_amount"]):
                    assert amount in tokens, (amount, tokens)
            assert f"¥{invoice['amount']}" in tokens


async def test_only_the_requests_customer_and_finance_see_the_preview(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=1)
    request = await create(client, ready)
    stranger = await ready_customer(api, bills=0)
    url = f"/v1/invoice-requests/{request['id']}/draft.pdf"
    assert (await client.get(url, headers=stranger.headers)).status_code == 404
    assert (await client.get(url, headers=api.billing)).status_code == 403
    assert (await client.get("/v1/invoice-requests/nope/draft.pdf", headers=api.finance)).status_code == 404
