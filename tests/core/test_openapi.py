"""The OpenAPI document is valid and precise enough for integrators and contract fuzzers."""

from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

_OPS = ("get", "put", "post", "patch", "delete")


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in _OPS
    ]


async def test_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.")
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


async def test_every_operation_has_stable_id_summary_description_and_tag(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))
    declared_tags = {tag["name"] for tag in document["tags"]}
    for method, path, operation in _operations(document):
        where = f"{method.upper()} {path}"
        assert "-" in operation["operationId"], where
        assert operation.get("summary"), where
        assert operation.get("description"), where
        assert operation.get("tags") and set(operation["tags"]) <= declared_tags, where


async def test_every_error_response_is_a_documented_problem(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        where = f"{method.upper()} {path}"
        responses = operation["responses"]
        if path.startswith("/v1/"):
            # One bearer requirement naming the roles that may call the operation (OpenAPI 3.1).
            [requirement] = operation["security"]
            assert list(requirement) == ["HTTPBearer"], where
            assert requirement["HTTPBearer"], where
            assert set(requirement["HTTPBearer"]) <= {"customer", "billing", "finance"}, where
            assert {"401", "403", "422", "429", "503"} <= set(responses), where
            # A database outage (SPEC section 6) is announced with when to retry.
            assert responses["503"]["headers"]["Retry-After"]["required"] is True, where
        if "{" in path:
            assert "404" in responses, where
        for status, response in responses.items():
            if int(status) >= 400:
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, where


async def test_every_request_body_has_an_example_with_its_required_fields(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    bodies = 0
    for method, path, operation in _operations(document):
        media = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if media is None:
            continue
        bodies += 1
        schema = media["schema"]
        ref = next(s["$ref"] for s in [schema, *schema.get("anyOf", [])] if "$ref" in s)
        required = components[ref.rsplit("/", 1)[-1]].get("required", [])
        assert set(required) <= set(media["example"]), f"{method.upper()} {path}"
    assert bodies >= 15


async def test_request_body_examples_are_accepted_by_the_schema_validation(
    client: httpx.AsyncClient, document: dict[str, Any], billing_key: str
) -> None:
    """An example a client copies must not be refused as malformed (422 validation_error)."""
    example = document["paths"]["/v1/accounts"]["post"]["requestBody"]["content"]["application/json"][
        "example"
    ]
    response = await client.post(
        "/v1/accounts",
        json=example | {"external_id": f"example-{billing_key[-10:]}"},
        headers={"Authorization": f"Bearer {billing_key}"},
    )
    assert response.status_code == 201, response.text


async def test_every_post_declares_idempotency_key_and_every_operation_x_request_id(
    document: dict[str, Any],
) -> None:
    """Generated clients send only the headers the document declares."""
    posts = 0
    for method, path, operation in _operations(document):
        where = f"{method.upper()} {path}"
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        assert headers["X-Request-ID"]["required"] is False, where
        for status, response in operation["responses"].items():
            assert response["headers"]["X-Request-ID"]["required"] is True, (where, status)
        if method == "post":
            posts += 1
            key = headers["Idempotency-Key"]
            assert key["required"] is False, where
            assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 255), where
        else:
            assert "Idempotency-Key" not in headers, where
    assert posts >= 10


async def test_rules_json_schema_can_hold_are_in_the_document(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    create = schemas["InvoiceRequestCreate"]
    for ids in ("bill_ids", "stored_value_card_ids"):
        assert create["properties"][ids]["uniqueItems"] is True
    # No bill selected, then a card (if/then: generated clients keep one body model).
    assert create["if"]["not"]["required"] == ["bill_ids"]
    assert create["then"]["properties"]["stored_value_card_ids"] == {"minItems": 1}
    profile = schemas["ProfileCreate"]
    assert profile["if"]["properties"]["invoice_type"] == {"const": "vat_special"}
    needed = ["bank_name", "bank_account", "registered_address", "registered_phone"]
    assert profile["then"]["required"] == needed
    assert all(profile["then"]["properties"][name]["type"] == "string" for name in needed)  # not null
    address = schemas["AddressCreate"]
    assert (address["if"]["not"]["required"], address["then"]["required"]) == (["email"], ["address"])
    assert "anyOf" not in address and "anyOf" not in create


@pytest.mark.parametrize(
    ("key", "accepted"),
    [("a", True), ("x" * 255, True), ("retry 42", True), ("x" * 256, False), ("caf\u00e9", False)],
)
async def test_an_idempotency_key_is_checked_by_its_documented_pattern(
    client: httpx.AsyncClient, billing_key: str, key: str, accepted: bool
) -> None:
    response = await client.post(
        "/v1/accounts",
        json={"name": "Keyed Ltd."},
        headers={
            "Authorization": f"Bearer {billing_key}",
            "Idempotency-Key": key.encode("latin-1"),  # HTTP carries header bytes
        },
    )
    assert response.status_code == (201 if accepted else 422), response.text
