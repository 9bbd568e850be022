"""Shared set-up for the issuing tests that run real `invoicing worker` processes: a request issued
through the sandbox, and what the database holds for it afterwards."""

import uuid
from dataclasses import dataclass

import httpx
from sqlalchemy import func, select

from app.core.auth import Role
from app.core.database import Database
from app.core.settings import Settings
from app.main import create_app
from app.requests.models import Invoice, InvoiceRequest, InvoiceRequestEvent
from app.taxplatform.models import SandboxInvoice
from tests.factories import Api, issue_staff_key
from tests.requests.helpers import create, move, ready_customer


async def issuing_request(database_url: str) -> str:
    """A processing request with two bills in one draft invoice, asked to issue (202)."""
    app = create_app(Settings(database_url=database_url, log_level="WARNING", tax_platform="sandbox"))
    try:
        billing = await issue_staff_key(app, Role.billing)
        finance = await issue_staff_key(app, Role.finance)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            api = Api(client, billing, finance)
            ready = await ready_customer(api, bills=2, invoice_type="vat_ordinary")
            request = await create(client, ready)
            assert (await move(client, api, request["id"], "start")).status_code == 200
            issued = await client.post(f"/v1/invoice-requests/{request['id']}/issue", headers=api.finance)
            assert issued.status_code == 202, issued.text
            return str(request["id"])
    finally:
        await app.state.database.dispose()


def serial_prefix(request_id: str) -> str:
    return uuid.UUID(request_id).hex


async def submitted(database: Database, request_id: str) -> int:
    """How many of the request's invoices reached the sandbox."""
    async with database.read_session() as session:
        count = await session.scalar(
            select(func.count()).where(SandboxInvoice.serial.like(f"{serial_prefix(request_id)}%"))
        )
        return int(count or 0)


async def request_status(database: Database, request_id: str) -> str:
    async with database.read_session() as session:
        status = await session.scalar(
            select(InvoiceRequest.status).where(InvoiceRequest.id == uuid.UUID(request_id))
        )
        return str(status)


@dataclass
class Recorded:
    sandbox: list[tuple[str, str]]  # (serial, number) the platform issued
    invoices: list[str]  # the numbers recorded on the request
    steps: list[str]  # the request's events, oldest first


async def recorded(database: Database, request_id: str) -> Recorded:
    async with database.read_session() as session:
        sandbox = (
            await session.execute(
                select(SandboxInvoice.serial, SandboxInvoice.number).where(
                    SandboxInvoice.serial.like(f"{serial_prefix(request_id)}%")
                )
            )
        ).all()
        invoices = (
            await session.scalars(select(Invoice.number).where(Invoice.request_id == uuid.UUID(request_id)))
        ).all()
        steps = (
            await session.scalars(
                select(InvoiceRequestEvent.status)
                .where(InvoiceRequestEvent.request_id == uuid.UUID(request_id))
                .order_by(InvoiceRequestEvent.id)
            )
        ).all()
    return Recorded(
        sandbox=[(str(serial), str(number)) for serial, number in sandbox],
        invoices=[str(number) for number in invoices],
        steps=[str(step) for step in steps],
    )
