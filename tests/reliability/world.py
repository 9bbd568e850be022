"""A seeded world for the reliability suite: two customer accounts with everything a request needs
and requests in several states, plus one key per role (and a second customer key)."""

import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from app.core.auth import Role
from app.core.settings import Settings
from app.main import create_app
from tests.factories import Api, bearer, issue_staff_key
from tests.requests.helpers import Ready, create, issue_whole, move, ready_customer, upload

# The two customers whose objects must stay private to each other.
CUSTOMERS = ("alice", "bob")


@dataclass
class World:
    database_url: str
    keys: dict[str, str]
    accounts: dict[str, str]
    # Per customer: resource kind -> ids that customer owns.
    owned: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return bearer(self.keys[who])

    def wfc_document(self, path: Path) -> Path:
        """A Web Fuzzing Commons auth document naming every identity, for schemathesis."""
        entries = [
            {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {key}"}]}
            for name, key in self.keys.items()
        ]
        path.write_text(json.dumps({"auth": entries}))
        return path


async def _customer_world(api: Api, client: httpx.AsyncClient) -> tuple[Ready, dict[str, list[str]]]:
    ready = await ready_customer(api, bills=5, cards=2)
    pending = await create(client, ready, bills=ready.bills[:1], cards=[])
    processing = await create(client, ready, bills=ready.bills[1:2], cards=[])
    assert (await move(client, api, processing["id"], "start")).status_code == 200
    number = uuid.uuid4().hex.upper()
    issued = await create(client, ready, bills=ready.bills[2:3], cards=[])
    issued = await issue_whole(client, api, issued, f"{number}-1")
    delivered = await create(client, ready, bills=[], cards=ready.cards[:1])
    delivered = await issue_whole(client, api, delivered, f"{number}-2")
    response = await move(client, api, delivered["id"], "deliver", {"tracking_number": "SF1000"})
    assert response.status_code == 200, response.text
    keys = await client.get(f"/v1/accounts/{ready.customer.account_id}/api-keys", headers=api.billing)
    assert keys.status_code == 200, keys.text
    assert (await upload(client, api, delivered)).status_code == 200  # a PDF to download
    owned = {
        "bills": [bill["id"] for bill in ready.bills],
        "cards": [card["id"] for card in ready.cards],
        "profiles": [ready.profile["id"]],
        "addresses": [ready.address["id"]],
        # The delivered one first: its invoice and file are the ones the file paths name.
        "requests": [delivered["id"], pending["id"], processing["id"], issued["id"]],
        "invoices": [delivered["invoices"][0]["number"]],
        "keys": [key["id"] for key in keys.json()["data"]],
    }
    return ready, owned


async def build_world(database_url: str) -> World:
    """Seed an empty, migrated database through the HTTP API; the app used is disposed after."""
    app = create_app(Settings(database_url=database_url, log_level="WARNING", auth_failures_per_minute=0))
    try:
        billing = await issue_staff_key(app, Role.billing)
        finance = await issue_staff_key(app, Role.finance)
        world = World(database_url=database_url, keys={}, accounts={})
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            api = Api(client, billing, finance)
            for name in CUSTOMERS:
                ready, owned = await _customer_world(api, client)
                world.keys[name] = ready.customer.key
                world.accounts[name] = ready.customer.account_id
                world.owned[name] = owned
        world.keys["billing"] = billing
        world.keys["finance"] = finance
        return world
    finally:
        await app.state.database.dispose()


def record_figures(test: str, **figures: Any) -> None:
    """Print a test's figures; also append them as one JSON line to INVOICING_RELIABILITY_REPORT."""
    line = json.dumps({"test": test, **figures}, sort_keys=True)
    print(line)
    target = os.environ.get("INVOICING_RELIABILITY_REPORT")
    if target:
        with open(target, "a", encoding="utf-8") as report:
            report.write(line + "\n")
