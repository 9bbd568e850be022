"""Input hardening: hostile bodies and values get a 4xx problem document, never a 500 and never a
silent reinterpretation (a float rounded into an amount, a look-alike digit read as a digit)."""

import base64
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.factories import TAXPAYER_ID, Api, Customer, bearer, make_address, make_profile

MAX_BODY = 1_048_576  # INVOICING_MAX_BODY_BYTES default


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def assert_problem(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    assert response.headers["content-type"] == "application/problem+json"
    body = dict(response.json())
    assert body["status"] == response.status_code and body["code"], body
    return body


async def post_raw(
    client: httpx.AsyncClient, path: str, content: Any, key: str, **headers: str
) -> httpx.Response:
    return await client.post(
        path, content=content, headers={"content-type": "application/json", **bearer(key), **headers}
    )


# -- size -----------------------------------------------------------------------------------------


async def test_a_body_over_the_limit_is_413_whether_declared_or_streamed(
    client: httpx.AsyncClient, api: Api
) -> None:
    big = b'{"name": "' + b"x" * MAX_BODY + b'"}'
    declared = await post_raw(client, "/v1/accounts", big, api.billing_key)
    assert assert_problem(declared, 413)["code"] == "payload_too_large"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for start in range(0, len(big), 65_536):
            yield big[start : start + 65_536]

    streamed = await post_raw(client, "/v1/accounts", chunks(), api.billing_key)
    assert assert_problem(streamed, 413)["code"] == "payload_too_large"
    at_limit = b'{"name": "' + b"x" * 150 + b'"}' + b" " * (MAX_BODY - 162)
    assert len(at_limit) == MAX_BODY
    assert (await post_raw(client, "/v1/accounts", at_limit, api.billing_key)).status_code == 201


async def test_invoice_file_uploads_get_the_larger_limit(client: httpx.AsyncClient, api: Api) -> None:
    # INVOICING_MAX_FILE_BYTES (10 MiB) for PUT …/invoices/{number}/files/{format}; 1 MiB elsewhere.
    path = "/v1/invoice-requests/x/invoices/12345678/files/pdf"
    headers = {"content-type": "application/pdf", **api.finance}
    two_mib = b"%PDF" + b"0" * (2 * MAX_BODY)
    passed = await client.put(path, content=two_mib, headers=headers)
    assert passed.status_code != 413, passed.text[:300]  # past the body limit: the route answers
    too_big = await client.put(path, content=b"0" * (10 * MAX_BODY + 1), headers=headers)
    assert assert_problem(too_big, 413)["detail"] == f"The request body exceeds {10 * MAX_BODY} bytes."
    elsewhere = await client.post(path, content=two_mib, headers=headers)  # POST: the 1 MiB limit
    assert assert_problem(elsewhere, 413)["code"] == "payload_too_large"


# -- malformed JSON -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 100_000 + b"]" * 100_000,  # nested far deeper than any parser's recursion limit
        b'{"name": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b'{"name": ' + b'{"a": ' * 30_000 + b"1" + b"}" * 30_001,
        b'{"name": "\xff\xfe Acme"}',  # not UTF-8
        b'{"name": "Ac\x00me"}',  # a raw NUL byte inside a string
        b'{"name": "Acme"}\x00',
        b'{"name": "Acme"',
        b'{"name": NaN}',
        b'{"name": Infinity}',
        b'{"name": "Acme", "name": ',
        b"",
        b"null",
        b'"Acme"',
        b'{"name": "' + b"\\ud800" + b'"}',  # a lone surrogate escape
        b'{"name": "A\\u0000B"}',  # an escaped NUL
        b'{"name": "A\\u202eB"}',  # a right-to-left override
        b'{"name": "A\\u200bB"}',  # a zero-width space
    ],
    ids=lambda content: repr(content[:24]),
)
async def test_malformed_bodies_are_422_problems(client: httpx.AsyncClient, api: Api, content: bytes) -> None:
    response = await post_raw(client, "/v1/accounts", content, api.billing_key)
    assert assert_problem(response, 422)["code"] == "validation_error"


async def test_a_body_that_is_not_json_is_refused_whatever_its_type(
    client: httpx.AsyncClient, api: Api
) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        response = await client.post(
            "/v1/accounts",
            content=b"name=Acme",
            headers={"content-type": content_type, **api.billing},
        )
        assert_problem(response, 422)


async def test_a_repeated_key_is_refused_not_resolved(client: httpx.AsyncClient, api: Api) -> None:
    # Parsers disagree on which of two equal keys counts; the service takes neither.
    customer = await api.customer()
    body = (
        b'{"recipient": "Li Lei", "recipient": "Mallory", "phone": "13812345678",'
        b' "email": "invoices@acme.example"}'
    )
    response = await post_raw(client, "/v1/mailing-addresses", body, customer.key)
    problem = assert_problem(response, 422)
    assert problem["code"] == "validation_error"
    assert problem["errors"] == [
        {"field": "body", "message": 'is not valid JSON: the key "recipient" appears twice'}
    ]
    listed = await client.get("/v1/mailing-addresses", headers=customer.headers)
    assert listed.json()["data"] == []
    nested = b'{"name": "Acme", "metadata": {"a": 1, "a": 2}}'  # at any depth
    problem = assert_problem(await post_raw(client, "/v1/accounts", nested, api.billing_key), 422)
    assert problem["errors"][0]["message"] == 'is not valid JSON: the key "a" appears twice'
    # The same key in sibling objects is not a repetition.
    siblings = b'{"name": "Twins", "external_id": null}'
    assert (await post_raw(client, "/v1/accounts", siblings, api.billing_key)).status_code == 201


# -- response headers -------------------------------------------------------------------------------


async def test_api_responses_are_not_cached_or_sniffed(client: httpx.AsyncClient, api: Api) -> None:
    answers = [
        await client.get("/v1/bills", headers=(await api.customer()).headers),
        await client.get("/v1/bills"),  # 401
        await client.post("/v1/accounts", json={"name": "Headers Ltd."}, headers=api.billing),
        await client.get("/v1/nothing-here"),
        await client.get("/healthz"),
        await client.get("/readyz"),
        await client.get("/metrics"),
        await client.get("/openapi.json"),
        await client.get("/docs"),
    ]
    for response in answers:
        assert response.headers["cache-control"] == "no-store", response.request.url
        assert response.headers["x-content-type-options"] == "nosniff", response.request.url
    # Outside the API (the console's static pages and assets) the headers are the route's own.
    elsewhere = await client.get("/console-assets-are-not-api/app.js")
    assert "cache-control" not in elsewhere.headers


# -- numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"1e400",
        b"-1e400",
        b"1E+100000000",
        b"1" * 5000,  # more digits than Python will parse into an int
        b"1000000000000",  # thirteen integer digits
        b"1.0000000000000001",  # a float would round this to 1 and accept it
        b"100.5",
        b"0.001",
        b"NaN",
        b"-Infinity",
        b"true",
        b'"1e3"',
        b'"1,000.00"',
        f'"{full_width("100")}.00"'.encode(),  # full-width digits
        b'"\xd9\xa1\xd9\xa0\xd9\xa0"',  # Arabic-Indic digits
        b'" 100.00"',
        b'"100.00 "',
        b'"+100.00"',
    ],
    ids=lambda raw: repr(raw[:20]),
)
async def test_huge_or_imprecise_amounts_are_422(client: httpx.AsyncClient, api: Api, raw: bytes) -> None:
    account = await api.account()
    path = f"/v1/accounts/{account}/cash-balance"
    response = await client.put(
        path,
        content=b'{"cash_balance": ' + raw + b"}",
        headers={"content-type": "application/json", **api.billing},
    )
    body = assert_problem(response, 422)
    assert [error["field"] for error in body["errors"]] in (["body.cash_balance"], ["body"])
    after = await client.get(f"/v1/accounts/{account}", headers=api.billing)
    assert after.json()["cash_balance"] == "1000.00"


@pytest.mark.parametrize(("raw", "stored"), [(b"1027.0", "1027.00"), (b"1e3", "1000.00"), (b"-0.0", "0.00")])
async def test_an_integral_json_number_is_an_integer_amount(
    client: httpx.AsyncClient, api: Api, raw: bytes, stored: str
) -> None:
    """JSON Schema's `integer` admits 1027.0 and 1E+3; they are read exactly, never through a float."""
    account = await api.account()
    response = await client.put(
        f"/v1/accounts/{account}/cash-balance",
        content=b'{"cash_balance": ' + raw + b"}",
        headers={"content-type": "application/json", **api.billing},
    )
    assert response.status_code == 200, response.text
    assert response.json()["cash_balance"] == stored


@pytest.mark.parametrize(
    "query",
    ["limit=" + "9" * 400, "limit=1e2", "limit=-1", "limit=" + full_width("10"), "cursor=" + "A" * 5000],
)
async def test_hostile_query_values_are_422(client: httpx.AsyncClient, api: Api, query: str) -> None:
    customer = await api.customer()
    assert_problem(await client.get(f"/v1/bills?{query}", headers=customer.headers), 422)


# -- look-alike characters --------------------------------------------------------------------------


CYRILLIC_A = "\u0410"  # looks like a Latin A


@pytest.mark.parametrize(
    "taxpayer_id",
    [
        full_width(TAXPAYER_ID),
        TAXPAYER_ID[:-1] + full_width(TAXPAYER_ID[-1]),
        TAXPAYER_ID.replace("M", "\u041c"),  # Cyrillic Em
        TAXPAYER_ID.replace("0", "O"),  # the letter O is not in the alphabet
        TAXPAYER_ID[:9] + "\u200b" + TAXPAYER_ID[9:],
    ],
)
async def test_look_alike_characters_in_a_taxpayer_id_are_refused(
    client: httpx.AsyncClient, api: Api, taxpayer_id: str
) -> None:
    customer = await api.customer()
    response = await client.put(
        "/v1/certification",
        json={"enterprise_name": "Acme Cloud Ltd.", "taxpayer_id": taxpayer_id},
        headers=customer.headers,
    )
    body = assert_problem(response, 422)
    assert [error["field"] for error in body["errors"]] == ["body.taxpayer_id"]


@pytest.mark.parametrize(
    "name",
    [
        "Acme\u202eCloud Ltd.",  # right-to-left override: would display reordered
        "Acme\u2066Cloud\u2069 Ltd.",  # isolates
        "Acme\u200bCloud Ltd.",  # zero-width space
        "\ufeffAcme Cloud Ltd.",  # a byte-order mark, even where trimming would have dropped it
        "Acme\u2028Cloud Ltd.",  # a line separator in a one-line field
        "Acme\x85Cloud",
    ],
)
async def test_invisible_or_reordering_characters_in_names_are_refused(
    client: httpx.AsyncClient, api: Api, name: str
) -> None:
    customer = await api.customer()
    response = await client.put(
        "/v1/certification",
        json={"enterprise_name": name, "taxpayer_id": TAXPAYER_ID},
        headers=customer.headers,
    )
    body = assert_problem(response, 422)
    assert [error["field"] for error in body["errors"]] == ["body.enterprise_name"]


async def certified(api: Api) -> Customer:
    customer = await api.customer()
    await api.certify(customer, name="Acme Cloud Ltd.")
    return customer


@pytest.mark.parametrize(
    "title",
    [
        CYRILLIC_A + "cme Cloud Ltd.",  # a homoglyph of the certified name
        full_width("Acme") + " Cloud Ltd.",
        "Acme Cloud Ltd",  # not the same name, however close
        "ACME CLOUD LTD.",
    ],
)
async def test_a_look_alike_invoice_title_does_not_pass_for_the_certified_name(
    client: httpx.AsyncClient, api: Api, title: str
) -> None:
    customer = await certified(api)
    response = await client.post(
        "/v1/invoice-profiles",
        json={"invoice_type": "vat_ordinary", "title": title},
        headers=customer.headers,
    )
    assert assert_problem(response, 422)["code"] == "header_mismatch"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", full_width("13812345678")),
        ("phone", "\u0661\u0663\u0668\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668"),  # Arabic-Indic
        ("postal_code", full_width("350001")),
        ("email", f"invoices@{CYRILLIC_A}cme.example"),
        ("email", "invoices@acme.example\u200b"),
    ],
)
async def test_look_alike_digits_and_letters_in_contact_details_are_refused(
    client: httpx.AsyncClient, api: Api, field: str, value: str
) -> None:
    customer = await certified(api)
    body = {"recipient": "Li Lei", "phone": "13812345678", "address": "1 Software Ave", field: value}
    response = await client.post("/v1/mailing-addresses", json=body, headers=customer.headers)
    problem = assert_problem(response, 422)
    assert [error["field"] for error in problem["errors"]] == [f"body.{field}"]


@pytest.mark.parametrize(
    "email",
    [
        "invoices@acme.example\n",  # `$` alone would match before the newline
        "invoices@acme.example\r\n",
        "\ninvoices@acme.example",
        "invoices@ab--cd.example",  # "--" as 3rd and 4th characters is reserved for IDNA
        "invoices@acme.test",  # special-use domains receive no mail (email-validator)
        "invoices@acme.localhost",
        "invoices..billing@acme.example",
    ],
)
async def test_an_email_is_matched_in_full_and_checked_by_email_validator(
    client: httpx.AsyncClient, api: Api, email: str
) -> None:
    customer = await certified(api)
    body = {"recipient": "Li Lei", "phone": "13812345678", "email": email}
    response = await client.post("/v1/mailing-addresses", json=body, headers=customer.headers)
    problem = assert_problem(response, 422)
    assert [error["field"] for error in problem["errors"]] == ["body.email"]
    listed = (await client.get("/v1/mailing-addresses", headers=customer.headers)).json()["data"]
    assert listed == []  # nothing stored


async def test_the_documented_email_pattern_is_the_one_applied(client: httpx.AsyncClient) -> None:
    """What the OpenAPI document says of an email is exactly the pattern the service matches in
    full: the fuzzer generates from it, and only the special-use domains are refused beyond it."""
    from app.core.validators import EMAIL_PATTERN

    document = (await client.get("/openapi.json")).json()
    address = document["components"]["schemas"]["AddressCreate"]["properties"]["email"]
    patterns = {branch.get("pattern") for branch in address["anyOf"]}
    assert EMAIL_PATTERN in patterns
    assert re.fullmatch(EMAIL_PATTERN, "invoices@acme.example")
    assert not re.fullmatch(EMAIL_PATTERN, "invoices@acme.example\n")


async def test_a_huge_request_selection_is_refused_cheaply(client: httpx.AsyncClient, api: Api) -> None:
    customer = await certified(api)
    profile = await make_profile(api, customer)
    address = await make_address(api, customer)
    body = {
        "bill_ids": [f"00000000-0000-4000-8000-{n:012d}" for n in range(20_000)],
        "profile_id": profile["id"],
        "address_id": address["id"],
    }
    assert_problem(await client.post("/v1/invoice-requests", json=body, headers=customer.headers), 422)


# -- hostile-input probe (issue 26): values that once reached the database and answered 500 -----------


def forged_cursor(*parts: object) -> str:
    """A cursor of our shape (URL-safe base64 of a JSON list) holding values we never issue."""
    raw = json.dumps(list(parts)).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


_SOME_ID = "0b7e1e0c-8a4e-4c1e-9a53-2f1d7c3b9a10"
FORGED_CURSORS = {
    # UTC of these is outside datetime's range (OverflowError when bound as a UTC instant).
    "far-future instant": forged_cursor("9999-12-31T23:59:59-14:00", _SOME_ID),
    "far-past instant": forged_cursor("0001-01-01T00:00:00+14:00", _SOME_ID),
    # Past BIGINT (2^63 - 1): the database cannot compare it with an id.
    "integer of 2^63": forged_cursor(2**63),
    "integers of 2^63": forged_cursor(2**63, 2**63),
    "huge integers": forged_cursor(10**30, 10**30),
    # PostgreSQL text cannot hold NUL; nor can UTF-8 hold a lone surrogate.
    "NUL in a text key": forged_cursor("2026-0\u0000", _SOME_ID),
    "NUL in an instant": forged_cursor("2026-01-01T00:00:00\u0000Z", _SOME_ID),
    "NUL in an id": forged_cursor("2026-01", _SOME_ID + "\u0000"),
    "lone surrogate": forged_cursor("2026-0\ud800", _SOME_ID),
}
CUSTOMER_LISTS = (
    "/v1/bills",
    "/v1/stored-value-cards",
    "/v1/invoice-profiles",
    "/v1/mailing-addresses",
    "/v1/invoice-requests",
)


def assert_cursor_refused_or_empty(response: httpx.Response, field: str) -> None:
    """A forged cursor is 422 on `field`, or (a value of the list's key types, past every row) an
    empty page; never a 500."""
    if response.status_code == 200:
        assert response.json()["data"] == [], response.text[:300]
        return
    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == field, body


@pytest.mark.parametrize("shape", list(FORGED_CURSORS))
async def test_a_forged_cursor_is_never_a_500(client: httpx.AsyncClient, api: Api, shape: str) -> None:
    cursor = FORGED_CURSORS[shape]
    customer = await api.customer()
    lists = [(path, customer.headers) for path in CUSTOMER_LISTS]
    lists += [
        ("/v1/invoice-requests", api.finance),
        (f"/v1/accounts/{customer.account_id}/api-keys", api.billing),
    ]
    for path, headers in lists:
        response = await client.get(path, params={"cursor": cursor}, headers=headers)
        assert_cursor_refused_or_empty(response, "query.cursor")
    response = await client.get("/v1/events", params={"after": cursor}, headers=api.finance)
    assert_cursor_refused_or_empty(response, "query.after")


@pytest.mark.parametrize(
    "shape", ["far-future instant", "far-past instant", "NUL in an instant", "NUL in an id"]
)
async def test_an_instant_or_id_no_row_can_have_is_422_on_the_lists_by_creation(
    client: httpx.AsyncClient, api: Api, shape: str
) -> None:
    customer = await api.customer()
    for path in CUSTOMER_LISTS[1:]:  # bills are keyed by period, the others by (created_at, id)
        response = await client.get(path, params={"cursor": FORGED_CURSORS[shape]}, headers=customer.headers)
        body = assert_problem(response, 422)
        assert body["errors"][0]["field"] == "query.cursor", (path, body)


@pytest.mark.parametrize("shape", ["NUL in a text key", "lone surrogate"])
async def test_a_period_no_bill_can_have_is_422(client: httpx.AsyncClient, api: Api, shape: str) -> None:
    customer = await api.customer()
    response = await client.get(
        "/v1/bills", params={"cursor": FORGED_CURSORS[shape]}, headers=customer.headers
    )
    assert assert_problem(response, 422)["errors"][0]["field"] == "query.cursor"


@pytest.mark.parametrize("after", [[2**63], [2**63, 1], [1, 2**63], [10**30, 10**30]])
async def test_an_events_cursor_past_bigint_is_422(
    client: httpx.AsyncClient, api: Api, after: list[int]
) -> None:
    response = await client.get("/v1/events", params={"after": forged_cursor(*after)}, headers=api.finance)
    assert assert_problem(response, 422)["errors"][0]["field"] == "query.after"


async def test_a_nul_in_a_path_or_query_value_never_reaches_the_database(
    client: httpx.AsyncClient, api: Api
) -> None:
    customer = await api.customer()
    for path in (
        "/v1/bills/%00",
        f"/v1/bills/{_SOME_ID}%00",
        "/v1/invoice-profiles/%00",
        "/v1/invoice-requests/%00",
    ):
        assert_problem(await client.get(path, headers=customer.headers), 404)
    for query in ("cursor=%00", "invoiceable=%00", "period_from=2026-0%00", "period_to=%00"):
        assert_problem(await client.get(f"/v1/bills?{query}", headers=customer.headers), 422)
    for query in ("status=%00", "created_from=%00", "created_to=2026-01-01T00:00:00%00Z"):
        assert_problem(await client.get(f"/v1/invoice-requests?{query}", headers=customer.headers), 422)
    assert_problem(await client.get("/v1/invoice-requests?account_id=%00", headers=api.finance), 422)
    assert_problem(await client.get("/v1/events?after=%00", headers=api.finance), 422)


@pytest.mark.parametrize("number", ["%00", "A%00B", "INV-1%00", "%C0%80", "..%2F..", "a" * 65])
async def test_an_invoice_number_that_cannot_be_one_is_404_for_its_files(
    client: httpx.AsyncClient, api: Api, number: str
) -> None:
    request_id = _SOME_ID
    url = f"/v1/invoice-requests/{request_id}/invoices/{number}/files/pdf"
    customer = await api.customer()
    for headers in (customer.headers, api.finance):
        assert_problem(await client.get(url, headers=headers), 404)
    upload = await client.put(
        url, content=b"%PDF-1.7\n", headers={"content-type": "application/pdf", **api.finance}
    )
    assert_problem(upload, 404)


@pytest.mark.parametrize("path", ["/console/%00", "/console/assets/%00.js", "/console/a%00b/c"])
async def test_a_nul_in_a_console_path_is_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404, (response.status_code, response.text[:200])
