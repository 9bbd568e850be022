"""Shared set-up for automatic-invoicing tests: an account with it enabled, and the job run in process."""

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from app.autoinvoicing import job
from app.autoinvoicing.models import AutoInvoicingSetting
from app.core.settings import Settings
from app.events.models import Event
from tests.factories import Api, Customer, make_address, make_profile


@dataclass
class Auto:
    customer: Customer
    profile: dict[str, Any]
    address: dict[str, Any]
    items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return self.customer.headers

    @property
    def account_id(self) -> str:
        return self.customer.account_id


async def enabled_customer(
    api: Api, *, invoice_type: str = "electronic_ordinary", cash_balance: str = "1000.00"
) -> Auto:
    """Certified, with a usable profile and an address with an email, automatic invoicing on."""
    customer = await api.customer(cash_balance=cash_balance)
    await api.certify(customer)
    auto = Auto(
        customer=customer,
        profile=await make_profile(api, customer, invoice_type),
        address=await make_address(api, customer),
    )
    response = await api.client.put(
        "/v1/auto-invoicing",
        json={"enabled": True, "profile_id": auto.profile["id"], "address_id": auto.address["id"]},
        headers=customer.headers,
    )
    assert response.status_code == 200, response.text
    return auto


async def run_job(app: FastAPI, day: date, **overrides: Any) -> job.RunResult:
    settings: Settings = app.state.settings
    if overrides:
        settings = settings.model_copy(update=overrides)
    return await job.run(app.state.database, settings, day)


async def requests_of(client: httpx.AsyncClient, auto: Auto) -> list[dict[str, Any]]:
    """The account's requests, newest first, as full objects (the list carries summaries)."""
    response = await client.get("/v1/invoice-requests", params={"limit": 100}, headers=auto.headers)
    assert response.status_code == 200, response.text
    full = []
    for summary in response.json()["data"]:
        read = await client.get(f"/v1/invoice-requests/{summary['id']}", headers=auto.headers)
        assert read.status_code == 200, read.text
        full.append(read.json())
    return full


def item_ids(request: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item["kind"], item["id"]) for item in request["items"]]


async def events_of(app: FastAPI, account_id: str, type_: str) -> list[dict[str, Any]]:
    async with app.state.database.read_session() as session:
        rows = await session.scalars(
            select(Event)
            .where(Event.account_id == uuid.UUID(account_id), Event.type == type_)
            .order_by(Event.id)
        )
        return [row.data for row in rows]


async def disable_everyone(app: FastAPI) -> None:
    """Tests share one database: a run must only meet the accounts of the test that runs it."""
    async with app.state.database.write_session() as session, session.begin():
        await session.execute(update(AutoInvoicingSetting).values(enabled=False))
