"""The customer's own account, `GET /v1/account`: served from app/my_account (issue 25.3), where a
newcomer looks for it, with the balance, the deficit and the certification status."""

import httpx

from tests.factories import Api


def test_the_route_lives_in_its_own_package() -> None:
    from app.certification.router import router as certification
    from app.my_account.router import router as mine

    assert [(route.path, route.operation_id) for route in mine.routes] == [
        ("/v1/account", "account-get_mine")
    ]  # type: ignore[attr-defined]
    assert "/v1/account" not in [route.path for route in certification.routes]  # type: ignore[attr-defined]


async def test_it_shows_the_certification_once_certified(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer(cash_balance="12.30")
    before = (await client.get("/v1/account", headers=customer.headers)).json()
    assert before["certification_status"] == "uncertified"
    await api.certify(customer)
    after = await client.get("/v1/account", headers=customer.headers)
    assert after.status_code == 200
    assert after.json() == {**before, "certification_status": "certified"}


async def test_staff_keys_have_no_own_account(client: httpx.AsyncClient, api: Api) -> None:
    for headers in (api.billing, api.finance):
        response = await client.get("/v1/account", headers=headers)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
