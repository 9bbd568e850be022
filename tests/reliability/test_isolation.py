"""Tenant isolation, generated from the OpenAPI document (not hand-listed): who may call an
operation is read from its bearer requirement's role names, ids from its path and body parameters.

- every operation answers 403 to a key whose role it does not list, and changes nothing;
- every customer operation with an id in its path answers 404 to the other account's id, and every
  customer operation with ids in its body answers 404 to any one of them being the other account's,
  changing nothing;
- no customer read (list or single) returns anything of the other account.
"""

import hashlib
import json
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, select

import app.models  # noqa: F401  (every table registered on the metadata)
from app.cli import migrate
from app.core.database import Base, sync_url
from app.core.settings import Settings
from app.main import create_app
from tests.reliability.world import World, build_world, record_figures

pytestmark = pytest.mark.slow

# What kind of object an id names, by parameter name (path and body). A new id parameter fails the
# test until it is listed here, so no operation escapes the matrix.
ID_KINDS = {
    "account_id": "accounts",
    "profile_id": "profiles",
    "address_id": "addresses",
    "bill_id": "bills",
    "bill_ids": "bills",
    "card_id": "cards",
    "stored_value_card_ids": "cards",
    "request_id": "requests",
    "key_id": "keys",
    "number": "invoices",  # an invoice number: the other account's is 404 like an id
}
NOT_IDS = frozenset({"period", "file_format", "move"})
ROLE_OF = {"alice": "customer", "billing": "billing", "finance": "finance"}
_PARAM = re.compile(r"\{([a-z_]+)\}")


@pytest.fixture(scope="module")
async def isolated(
    backend: str, fresh_database_url: Callable[[str], str]
) -> AsyncIterator[tuple[World, FastAPI]]:
    database_url = fresh_database_url(backend)
    migrate(database_url)
    world = await build_world(database_url)
    application = create_app(Settings(database_url=database_url, log_level="WARNING"))
    yield world, application
    await application.state.database.dispose()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], list[str]]]:
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            requirements = operation.get("security") or []
            roles = sorted(
                {role for requirement in requirements for names in requirement.values() for role in names}
            )
            found.append((method.upper(), path, operation, roles))
    return found


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _body_example(document: dict[str, Any], operation: dict[str, Any]) -> Any:
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    return None if media is None else json.loads(json.dumps(media.get("example", {})))


def _body_id_fields(document: dict[str, Any], operation: dict[str, Any]) -> list[str]:
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if media is None:
        return []
    schema = _resolve(document, media["schema"])
    fields = []
    for name, prop in schema.get("properties", {}).items():
        target = _resolve(document, prop.get("items", prop))
        if target.get("format") == "uuid":
            fields.append(name)
    return fields


def _digest(database_url: str) -> str:
    """Every row of every table but the idempotency records and keys' last use: 'changes nothing'
    means this is equal."""
    engine = create_engine(sync_url(database_url))
    hasher = hashlib.sha256()
    try:
        with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                if table.name == "idempotency_key":
                    continue
                # A key's last use is bookkeeping every accepted key updates, refused or not.
                columns = [column for column in table.columns if column.name != "last_used_at"]
                rows = conn.execute(select(*columns)).all()
                for row in sorted(repr(tuple(row)) for row in rows):
                    hasher.update(f"{table.name}:{row}\n".encode())
    finally:
        engine.dispose()
    return hasher.hexdigest()


def _fill(path: str, ids: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: ids[m.group(1)], path)


async def test_tenant_isolation_matrix_from_the_openapi_document(
    backend: str, isolated: tuple[World, FastAPI]
) -> None:
    world, application = isolated
    document = application.openapi()
    operations = _operations(document)
    alice, bob = world.owned["alice"], world.owned["bob"]
    own = {
        name: ids[0]
        for name, ids in (
            (n, alice[k] if k != "accounts" else [world.accounts["alice"]]) for n, k in ID_KINDS.items()
        )
    }
    other = {
        name: ids[-1]
        for name, ids in (
            (n, bob[k] if k != "accounts" else [world.accounts["bob"]]) for n, k in ID_KINDS.items()
        )
    }
    own["period"] = other["period"] = "2020-01"  # a month, not an id
    own["file_format"] = other["file_format"] = "pdf"  # a format, not an id
    # Webhook endpoints are service-wide (billing and finance), not an account's: any id will do.
    own["endpoint_id"] = other["endpoint_id"] = "00000000-0000-0000-0000-000000000000"
    # So are sellers (the issuing entities: billing writes, finance reads).
    own["seller_id"] = other["seller_id"] = "00000000-0000-0000-0000-000000000000"
    own["move"] = other["move"] = "start"  # a bulk move's name, not an id
    own["event_id"] = other["event_id"] = "1"
    bob_ids = {world.accounts["bob"], *(i for ids in bob.values() for i in ids)}
    cases: Counter[str] = Counter()

    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

        async def send(method: str, path: str, who: str, body: Any) -> httpx.Response:
            response = await client.request(method, path, json=body, headers=world.headers(who))
            assert response.status_code < 500, response.text
            return response

        before = _digest(world.database_url)
        customer_operations = [op for op in operations if "customer" in op[3]]
        assert customer_operations, "the document names no customer operation"

        # 1. Roles: a key whose role the operation does not list is refused, whatever it sends.
        for method, path, operation, roles in operations:
            if not roles:
                continue
            for who, role in ROLE_OF.items():
                if role in roles:
                    continue
                response = await send(method, _fill(path, own), who, _body_example(document, operation))
                assert response.status_code == 403, (method, path, who, response.text)
                assert response.json()["code"] == "forbidden"
                cases["role refused"] += 1

        # 2. Another account's id in the path: 404, exactly as an id that does not exist.
        for method, path, operation, _roles in customer_operations:
            names = [name for name in _PARAM.findall(path) if name not in NOT_IDS]
            unknown = [name for name in names if name not in ID_KINDS]
            assert not unknown, f"{method} {path}: map {unknown} in ID_KINDS"
            for name in names:
                ids = {**own, name: other[name]}
                response = await send(method, _fill(path, ids), "alice", _body_example(document, operation))
                assert response.status_code == 404, (method, path, name, response.text)
                assert response.json()["code"] == "not_found"
                cases["foreign id in path"] += 1

        # 3. Another account's id in the body (with everything else the caller's own): 404.
        for method, path, operation, _roles in customer_operations:
            for field in _body_id_fields(document, operation):
                assert field in ID_KINDS, f"{method} {path}: map body field {field!r} in ID_KINDS"
                body = {
                    name: ([own[name]] if name.endswith("_ids") else own[name])
                    for name in _body_id_fields(document, operation)
                }
                body[field] = [other[field]] if field.endswith("_ids") else other[field]
                response = await send(method, _fill(path, own), "alice", body)
                assert response.status_code == 404, (method, path, field, response.text)
                cases["foreign id in body"] += 1

        assert _digest(world.database_url) == before, "a refused request changed the database"

        # 4. Reads: nothing of the other account appears in any customer read, and the caller's own
        # objects do (so the reads are not simply empty).
        # (A customer does not read its keys: the billing engine lists them.)
        alice_ids = {
            world.accounts["alice"],
            *(i for kind, ids in alice.items() if kind != "keys" for i in ids),
        }
        seen: set[str] = set()
        for method, path, _operation, _roles in customer_operations:
            if method != "GET":
                continue
            response = await send(
                method, _fill(path, own) + ("?limit=100" if "{" not in path else ""), "alice", None
            )
            assert response.status_code == 200, (path, response.text)
            text = response.text
            leaked = sorted(i for i in bob_ids if i in text)
            assert not leaked, f"GET {path} shows the other account's {leaked}"
            seen |= {i for i in alice_ids if i in text}
            cases["read without foreign rows"] += 1
        assert seen == alice_ids, f"own objects never read back: {alice_ids - seen}"

    record_figures("isolation", backend=backend, cases=sum(cases.values()), by_kind=dict(cases))
