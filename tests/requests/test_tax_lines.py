"""Requests as invoice documents (SPEC §7): the seller snapshot, tax terms on every line, the draft
(grouped, split at the seller's limit, taxed per line), issuing that cuts it, one seller per
request, and the deficit kept and settled per tax group."""

from typing import Any

import httpx

from tests.factories import Api, make_address, make_profile
from tests.requests.helpers import Ready, create, move, ready_customer, selection
from tests.sellers.helpers import default_seller, make_seller

CLOUD = "3040201000000000000"
SOFTWARE = "1060301020000000000"


async def _bill(api: Api, ready: Ready, period: str, cash: str, **terms: Any) -> dict[str, Any]:
    response = await api.client.put(
        f"/v1/accounts/{ready.customer.account_id}/bills/{period}",
        json={
            "total_amount": cash,
            "cash_amount": cash,
            "voucher_amount": "0.00",
            "stored_value_card_amount": "0.00",
            **terms,
        },
        headers=api.billing,
    )
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def _figures(invoice: dict[str, Any]) -> tuple[str, str, str]:
    return (invoice["amount"], invoice["amount_excluding_tax"], invoice["tax_amount"])


def _lines(invoice: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    return [
        (
            line["item_name"],
            line["tax_rate"],
            line["amount"],
            line["amount_excluding_tax"],
            line["tax_amount"],
        )
        for line in invoice["lines"]
    ]


async def test_a_request_with_two_rates_shows_its_seller_terms_and_draft(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=0)
    cloud = await _bill(api, ready, "2026-09", "1000.00")
    software = await _bill(
        api, ready, "2026-10", "500.00", tax_rate="0.13", tax_category_code=SOFTWARE, item_name="*软件*许可费"
    )
    body = await create(client, ready, bills=[cloud, software])
    seller = await default_seller(api)
    assert body["seller"] == {key: seller[key] for key in body["seller"]}
    assert [(item["tax_rate"], item["tax_category_code"], item["item_name"]) for item in body["items"]] == [
        ("0.06", CLOUD, "*信息技术服务*云服务费"),
        ("0.13", SOFTWARE, "*软件*许可费"),
    ]
    (invoice,) = body["draft"]["invoices"]
    # 1,000.00 at 0.06: tax 56.60 (the contract's worked example); 500.00 at 0.13: 57.52.
    assert _lines(invoice) == [
        ("*信息技术服务*云服务费", "0.06", "1000.00", "943.40", "56.60"),
        ("*软件*许可费", "0.13", "500.00", "442.48", "57.52"),
    ]
    assert _figures(invoice) == ("1500.00", "1385.88", "114.12")
    read = (await client.get(f"/v1/invoice-requests/{body['id']}", headers=api.finance)).json()
    assert read["draft"] == body["draft"] and read["seller"] == body["seller"]


async def test_the_draft_is_split_at_the_sellers_limit_and_issuing_cuts_it(
    client: httpx.AsyncClient, api: Api
) -> None:
    seller = await make_seller(api, max_invoice_amount="600.00")
    ready = await ready_customer(api, bills=0)
    terms = {"seller_id": seller["id"]}
    first = await _bill(api, ready, "2026-09", "1000.00", **terms)
    second = await _bill(api, ready, "2026-10", "500.00", **terms, tax_rate="0.13", item_name="*软件*许可费")
    body = await create(client, ready, bills=[first, second])
    assert body["seller"]["max_invoice_amount"] == "600.00"
    drafted = body["draft"]["invoices"]
    assert [_lines(invoice) for invoice in drafted] == [
        [("*信息技术服务*云服务费", "0.06", "600.00", "566.04", "33.96")],
        [
            ("*信息技术服务*云服务费", "0.06", "400.00", "377.36", "22.64"),
            ("*软件*许可费", "0.13", "200.00", "176.99", "23.01"),
        ],
        [("*软件*许可费", "0.13", "300.00", "265.49", "34.51")],
    ]
    assert [_figures(invoice) for invoice in drafted] == [
        ("600.00", "566.04", "33.96"),
        ("600.00", "554.35", "45.65"),
        ("300.00", "265.49", "34.51"),
    ]

    assert (await move(client, api, body["id"], "start")).status_code == 200
    over = await move(
        client,
        api,
        body["id"],
        "issue",
        {"invoices": [{"number": "A-1", "amount": "700.00"}, {"number": "A-2", "amount": "800.00"}]},
    )
    assert over.status_code == 422, over.text
    assert over.json()["code"] == "invoice_limit_exceeded"
    assert [error["field"] for error in over.json()["errors"]] == [
        "body.invoices.0.amount",
        "body.invoices.1.amount",
    ]

    amounts = ["500.00", "500.00", "500.00"]
    numbers = [f"T{body['id'][:8]}-{index}" for index in range(3)]
    issued = await move(
        client,
        api,
        body["id"],
        "issue",
        {"invoices": [{"number": n, "amount": a} for n, a in zip(numbers, amounts, strict=True)]},
    )
    assert issued.status_code == 200, issued.text
    invoices = issued.json()["invoices"]
    assert [_lines(invoice) for invoice in invoices] == [
        [("*信息技术服务*云服务费", "0.06", "500.00", "471.70", "28.30")],
        [("*信息技术服务*云服务费", "0.06", "500.00", "471.70", "28.30")],
        [("*软件*许可费", "0.13", "500.00", "442.48", "57.52")],
    ]
    assert [_figures(invoice) for invoice in invoices] == [
        ("500.00", "471.70", "28.30"),
        ("500.00", "471.70", "28.30"),
        ("500.00", "442.48", "57.52"),
    ]
    # The issued lines are stored: a later change of the seller changes nothing of them.
    patched = await client.patch(
        f"/v1/sellers/{seller['id']}", json={"max_invoice_amount": "100.00"}, headers=api.billing
    )
    assert patched.status_code == 200
    read = (await client.get(f"/v1/invoice-requests/{body['id']}", headers=ready.headers)).json()
    assert read["invoices"] == invoices
    assert read["draft"] == body["draft"]  # the request keeps its seller snapshot


async def test_a_request_that_would_need_too_many_invoices_is_refused(
    client: httpx.AsyncClient, api: Api
) -> None:
    seller = await make_seller(api, max_invoice_amount="0.01")
    ready = await ready_customer(api, bills=0)
    bill = await _bill(api, ready, "2026-09", "1.01", seller_id=seller["id"])
    response = await client.post(
        "/v1/invoice-requests", json=selection(ready, bills=[bill]), headers=ready.headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invoice_limit_exceeded"
    after = (await client.get(f"/v1/bills/{bill['id']}", headers=ready.headers)).json()
    assert after["invoiceable_amount"] == "1.01"  # nothing was written


async def test_a_request_holds_one_sellers_items(client: httpx.AsyncClient, api: Api) -> None:
    other = await make_seller(api)
    ready = await ready_customer(api, bills=0)
    mine = await _bill(api, ready, "2026-09", "100.00")
    theirs = await _bill(api, ready, "2026-10", "100.00", seller_id=other["id"])
    response = await client.post(
        "/v1/invoice-requests", json=selection(ready, bills=[mine, theirs]), headers=ready.headers
    )
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "mixed_sellers"
    # item_not_invoiceable is checked first.
    exhausted = await _bill(api, ready, "2026-11", "0.00")
    response = await client.post(
        "/v1/invoice-requests", json=selection(ready, bills=[mine, theirs, exhausted]), headers=ready.headers
    )
    assert response.json()["code"] == "item_not_invoiceable"
    # Each seller's items alone are fine.
    for bill in (mine, theirs):
        made = await create(client, ready, bills=[bill])
        assert made["seller"]["id"] == bill["seller_id"]


async def test_the_deficit_is_kept_and_settled_per_tax_group(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=0)
    account = ready.customer.account_id
    first = await _bill(api, ready, "2026-07", "100.00")
    await create(client, ready, bills=[first])
    await _bill(api, ready, "2026-07", "90.00")  # 10.00 over-invoiced at 0.06
    software = await _bill(api, ready, "2026-08", "5.00", tax_rate="0.13")

    # A request of another tax group settles nothing of the 0.06 deficit.
    other_group = await create(client, ready, bills=[software])
    assert other_group["amount"] == "5.00"
    assert [item["amount"] for item in other_group["items"]] == ["5.00"]

    # The 0.06 group's selected total must exceed its own deficit, whatever other groups add.
    small = await _bill(api, ready, "2026-09", "10.00")
    big = await _bill(api, ready, "2026-10", "100.00", tax_rate="0.09")
    refused = await client.post(
        "/v1/invoice-requests", json=selection(ready, bills=[small, big]), headers=ready.headers
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "invoice_deficit"
    assert (refused.json()["invoice_deficit"], refused.json()["selected_amount"]) == ("10.00", "10.00")

    summary = (await client.get("/v1/invoiceable-summary", headers=ready.headers)).json()
    assert summary["can_request"] is True
    assert summary["invoice_deficit"] == "10.00"
    seller = await default_seller(api)
    assert summary["by_seller"] == [
        {
            "seller_id": seller["id"],
            "seller_name": seller["name"],
            "invoiceable_amount": "100.00",  # 10.00 + 100.00 left, less the 10.00 deficit
            "invoice_deficit": "10.00",
        }
    ]

    bigger = await _bill(api, ready, "2026-11", "30.00")
    settled = await create(client, ready, bills=[bigger, big])
    assert [item["amount"] for item in settled["items"]] == ["30.00", "100.00", "-10.00"]
    assert settled["amount"] == "120.00"
    # The settlement lowers its own group in the draft.
    (invoice,) = settled["draft"]["invoices"]
    assert [(line["tax_rate"], line["amount"]) for line in invoice["lines"]] == [
        ("0.06", "20.00"),
        ("0.09", "100.00"),
    ]
    deficit = (await client.get(f"/v1/accounts/{account}", headers=api.billing)).json()["invoice_deficit"]
    assert deficit == "0.00"


async def test_digital_invoices_are_emailed_and_numbered_with_20_digits(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=1)
    for invoice_type in ("digital_special", "digital_ordinary"):
        profile = await make_profile(api, ready.customer, invoice_type)  # bank fields optional
        assert profile["usable"] is True
    paperless = await make_address(api, ready.customer, address=None)
    body = await create(client, ready, profile_id=profile["id"], address_id=paperless["id"])
    assert body["invoice_type"] == "digital_ordinary"
    assert body["tracking_number_required"] is False
    assert (await move(client, api, body["id"], "start")).status_code == 200
    for number in ("2435200000001234567", "243520000000123456789", "2435200000001234567A", "INV-1"):
        refused = await move(
            client, api, body["id"], "issue", {"invoices": [{"number": number, "amount": body["amount"]}]}
        )
        assert refused.status_code == 422, (number, refused.text)
        assert refused.json()["errors"][0]["field"] == "body.invoices.0.number"
    number = "24" + body["id"].replace("-", "")[:18].translate(str.maketrans("abcdef", "123456"))
    issued = await move(
        client, api, body["id"], "issue", {"invoices": [{"number": number, "amount": body["amount"]}]}
    )
    assert issued.status_code == 200, issued.text
    assert issued.json()["invoices"][0]["lines"][0]["amount"] == body["amount"]
