"""GET/PUT /v1/auto-invoicing: the setting, and the checks a request would make before enabling it."""

import uuid

import httpx

from tests.autoinvoicing.helpers import enabled_customer
from tests.factories import OTHER_TAXPAYER_ID, Api, make_address, make_profile


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code, body
    return dict(body)


async def test_setting_is_off_until_first_saved(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    response = await client.get("/v1/auto-invoicing", headers=customer.headers)
    assert response.status_code == 200
    assert response.json() == {"enabled": False, "profile_id": None, "address_id": None, "updated_at": None}


async def test_enabling_saves_profile_and_address(client: httpx.AsyncClient, api: Api) -> None:
    auto = await enabled_customer(api)
    body = (await client.get("/v1/auto-invoicing", headers=auto.headers)).json()
    assert body["enabled"] is True
    assert (body["profile_id"], body["address_id"]) == (auto.profile["id"], auto.address["id"])
    assert body["updated_at"].endswith("Z")


async def test_disabling_keeps_the_choice_and_reenabling_reuses_it(
    client: httpx.AsyncClient, api: Api
) -> None:
    auto = await enabled_customer(api)
    off = await client.put("/v1/auto-invoicing", json={"enabled": False}, headers=auto.headers)
    assert off.status_code == 200, off.text
    assert off.json()["enabled"] is False
    assert off.json()["profile_id"] == auto.profile["id"]
    on = await client.put("/v1/auto-invoicing", json={"enabled": True}, headers=auto.headers)
    assert on.status_code == 200, on.text
    assert (on.json()["enabled"], on.json()["address_id"]) == (True, auto.address["id"])
    assert (await client.get("/v1/auto-invoicing", headers=auto.headers)).json() == on.json()


async def test_repeated_put_changes_nothing(client: httpx.AsyncClient, api: Api) -> None:
    auto = await enabled_customer(api)
    first = (await client.get("/v1/auto-invoicing", headers=auto.headers)).json()
    again = await client.put(
        "/v1/auto-invoicing",
        json={"enabled": True, "profile_id": auto.profile["id"], "address_id": auto.address["id"]},
        headers=auto.headers,
    )
    assert again.json() == first


async def test_enabling_without_a_choice_uses_the_defaults_or_is_404(
    client: httpx.AsyncClient, api: Api
) -> None:
    customer = await api.customer()
    await api.certify(customer)
    profile = await make_profile(api, customer, "electronic_ordinary")  # not the default
    address = await make_address(api, customer, is_default=True)
    _problem(
        await client.put("/v1/auto-invoicing", json={"enabled": True}, headers=customer.headers),
        404,
        "not_found",
    )
    _problem(
        await client.put(
            "/v1/auto-invoicing", json={"enabled": True, "profile_id": None}, headers=customer.headers
        ),
        404,
        "not_found",
    )
    assert (await client.get("/v1/auto-invoicing", headers=customer.headers)).json()["enabled"] is False
    default = await make_profile(api, customer, "electronic_ordinary", is_default=True)
    body = (await client.put("/v1/auto-invoicing", json={"enabled": True}, headers=customer.headers)).json()
    assert (body["enabled"], body["profile_id"], body["address_id"]) == (True, default["id"], address["id"])
    assert profile["id"] != default["id"]


async def test_another_accounts_profile_or_address_is_404(client: httpx.AsyncClient, api: Api) -> None:
    mine = await enabled_customer(api)
    other = await enabled_customer(api)
    for body in (
        {"enabled": True, "profile_id": other.profile["id"], "address_id": mine.address["id"]},
        {"enabled": True, "profile_id": mine.profile["id"], "address_id": other.address["id"]},
        {"enabled": True, "profile_id": str(uuid.uuid4()), "address_id": mine.address["id"]},
        {"enabled": True, "profile_id": "not-an-id", "address_id": mine.address["id"]},
        {"enabled": False, "profile_id": other.profile["id"]},
    ):
        _problem(await client.put("/v1/auto-invoicing", json=body, headers=mine.headers), 404, "not_found")
    setting = (await client.get("/v1/auto-invoicing", headers=mine.headers)).json()
    assert (setting["profile_id"], setting["address_id"]) == (mine.profile["id"], mine.address["id"])


async def test_deleted_profile_is_404(client: httpx.AsyncClient, api: Api) -> None:
    auto = await enabled_customer(api)
    deleted = await client.delete(f"/v1/invoice-profiles/{auto.profile['id']}", headers=auto.headers)
    assert deleted.status_code == 204
    _problem(
        await client.put("/v1/auto-invoicing", json={"enabled": True}, headers=auto.headers), 404, "not_found"
    )
    # Switching off needs nothing, and keeps the choice to be made again.
    off = await client.put("/v1/auto-invoicing", json={"enabled": False}, headers=auto.headers)
    assert off.status_code == 200, off.text
    assert off.json()["profile_id"] == auto.profile["id"]


async def test_unusable_profile_is_409(client: httpx.AsyncClient, api: Api) -> None:
    auto = await enabled_customer(api)
    await api.certify(auto.customer, taxpayer_id=OTHER_TAXPAYER_ID)  # the profile's header no longer matches
    _problem(
        await client.put("/v1/auto-invoicing", json={"enabled": True}, headers=auto.headers),
        409,
        "profile_not_usable",
    )
    # Turning it off needs no usable profile.
    off = await client.put("/v1/auto-invoicing", json={"enabled": False}, headers=auto.headers)
    assert off.status_code == 200, off.text


async def test_address_that_cannot_receive_the_invoice_type_is_422(
    client: httpx.AsyncClient, api: Api
) -> None:
    customer = await api.customer()
    await api.certify(customer)
    electronic = await make_profile(api, customer, "electronic_ordinary")
    paper = await make_profile(api, customer, "vat_ordinary")
    postal_only = await make_address(api, customer, email=None)
    email_only = await make_address(api, customer, address=None, postal_code=None)
    for profile, address in ((electronic, postal_only), (paper, email_only)):
        _problem(
            await client.put(
                "/v1/auto-invoicing",
                json={"enabled": True, "profile_id": profile["id"], "address_id": address["id"]},
                headers=customer.headers,
            ),
            422,
            "address_incomplete",
        )
    for profile, address in ((electronic, email_only), (paper, postal_only)):
        response = await client.put(
            "/v1/auto-invoicing",
            json={"enabled": True, "profile_id": profile["id"], "address_id": address["id"]},
            headers=customer.headers,
        )
        assert response.status_code == 200, response.text


async def test_malformed_bodies_are_422(client: httpx.AsyncClient, api: Api) -> None:
    customer = await api.customer()
    for body in (
        {},
        {"enabled": "true"},
        {"enabled": 1},
        {"enabled": None},
        {"enabled": False, "extra": 1},
        {"enabled": False, "profile_id": 7},
        {"enabled": False, "profile_id": ""},
    ):
        _problem(
            await client.put("/v1/auto-invoicing", json=body, headers=customer.headers),
            422,
            "validation_error",
        )


async def test_only_customers_may_use_it(client: httpx.AsyncClient, api: Api) -> None:
    _problem(await client.get("/v1/auto-invoicing"), 401, "unauthenticated")
    for headers in (api.billing, api.finance):
        _problem(await client.get("/v1/auto-invoicing", headers=headers), 403, "forbidden")
        _problem(
            await client.put("/v1/auto-invoicing", json={"enabled": False}, headers=headers), 403, "forbidden"
        )
