"""Sellers for tests: another seller than the default (the default is the migration's, shared by
every test of the session, so tests never change it for good)."""

from typing import Any

from tests.factories import Api

# Valid Unified Social Credit Codes for sellers other than the default.
SELLER_TAXPAYER_ID = "91330106MA27ABCE01"


def seller_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "上海示例网络科技有限公司",
        "taxpayer_id": "91310115MA1K3XXX0E",
        "address": "上海市浦东新区张江路1号",
        "phone": "021-55555555",
        "bank_name": "招商银行上海张江支行",
        "bank_account": "121900000000001",
    }
    body.update(fields)
    return body


async def make_seller(api: Api, **fields: Any) -> dict[str, Any]:
    response = await api.client.post("/v1/sellers", json=seller_body(**fields), headers=api.billing)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def default_seller(api: Api) -> dict[str, Any]:
    sellers: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = (await api.client.get("/v1/sellers", params=params, headers=api.finance)).json()
        sellers += page["data"]
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    (found,) = [seller for seller in sellers if seller["is_default"]]
    return found
