"""Sellers: billing writes them, billing and finance read them; exactly one is the default."""

import httpx

from tests.factories import Api
from tests.requests.helpers import ready_customer
from tests.sellers.helpers import SELLER_TAXPAYER_ID, default_seller, make_seller, seller_body


async def test_the_migration_made_one_default_seller_from_the_settings(api: Api) -> None:
    seller = await default_seller(api)
    assert seller["name"] == "杭州示例云计算有限公司"
    assert seller["taxpayer_id"] == "91330106MA27ABCD00"
    assert seller["max_invoice_amount"] is None


async def test_billing_creates_and_changes_a_seller_finance_reads_it(
    client: httpx.AsyncClient, api: Api
) -> None:
    made = await make_seller(api, taxpayer_id=SELLER_TAXPAYER_ID.lower(), max_invoice_amount="1000.00")
    assert made["taxpayer_id"] == SELLER_TAXPAYER_ID  # upper-cased
    assert made["max_invoice_amount"] == "1000.00"
    assert made["is_default"] is False
    read = await client.get(f"/v1/sellers/{made['id']}", headers=api.finance)
    assert read.status_code == 200 and read.json() == made

    patched = await client.patch(
        f"/v1/sellers/{made['id']}",
        json={"name": "上海示例二号有限公司", "max_invoice_amount": None},
        headers=api.billing,
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["name"], patched.json()["max_invoice_amount"]) == ("上海示例二号有限公司", None)
    assert patched.json()["bank_account"] == made["bank_account"]

    limited = await client.patch(
        f"/v1/sellers/{made['id']}", json={"max_invoice_amount": "2500.50"}, headers=api.billing
    )
    assert limited.json()["max_invoice_amount"] == "2500.50"
    read = await client.get(f"/v1/sellers/{made['id']}", headers=api.finance)
    assert read.json()["max_invoice_amount"] == "2500.50"

    refused = await client.patch(f"/v1/sellers/{made['id']}", json={"name": "x"}, headers=api.finance)
    assert refused.status_code == 403
    ready = await ready_customer(api, bills=0)
    assert (await client.get("/v1/sellers", headers=ready.headers)).status_code == 403


async def test_a_seller_needs_a_valid_uscc_and_every_field(client: httpx.AsyncClient, api: Api) -> None:
    bad = await client.post(
        "/v1/sellers", json=seller_body(taxpayer_id="91310115MA1K3XXX0A"), headers=api.billing
    )
    assert bad.status_code == 422
    assert [error["field"] for error in bad.json()["errors"]] == ["body.taxpayer_id"]
    body = seller_body()
    del body["bank_account"]
    missing = await client.post("/v1/sellers", json=body, headers=api.billing)
    assert missing.status_code == 422
    assert [error["field"] for error in missing.json()["errors"]] == ["body.bank_account"]
    zero = await client.post("/v1/sellers", json=seller_body(max_invoice_amount="0.00"), headers=api.billing)
    assert zero.status_code == 422


async def test_exactly_one_seller_is_the_default(client: httpx.AsyncClient, api: Api) -> None:
    before = await default_seller(api)
    other = await make_seller(api, is_default=True)
    try:
        assert other["is_default"] is True
        assert (await default_seller(api))["id"] == other["id"]
        old = (await client.get(f"/v1/sellers/{before['id']}", headers=api.billing)).json()
        assert old["is_default"] is False
        refused = await client.patch(
            f"/v1/sellers/{other['id']}", json={"is_default": False}, headers=api.billing
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "body.is_default"
    finally:
        back = await client.patch(
            f"/v1/sellers/{before['id']}", json={"is_default": True}, headers=api.billing
        )
        assert back.status_code == 200, back.text
    assert (await default_seller(api))["id"] == before["id"]
    again = (await client.get(f"/v1/sellers/{other['id']}", headers=api.billing)).json()
    assert again["is_default"] is False


async def test_an_unknown_seller_is_not_found(client: httpx.AsyncClient, api: Api) -> None:
    for seller_id in ("0b7e1e0c-8a4e-4c1e-9a53-2f1d7c3b9a10", "nope"):
        response = await client.get(f"/v1/sellers/{seller_id}", headers=api.billing)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
