"""Small factories with defaults, driving the service through its HTTP API."""

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from app.accounts import service as accounts
from app.core.auth import Role
from app.core.database import Database

# A valid Unified Social Credit Code and a second one for re-certification tests.
TAXPAYER_ID = "91350100M000100Y43"
OTHER_TAXPAYER_ID = "91110108MA01KP2T85"


async def issue_staff_key(app: FastAPI, role: Role) -> str:
    database: Database = app.state.database
    async with database.write_session() as session, session.begin():
        issued = await accounts.issue_key(session, role, None)
    return issued.key


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass
class Customer:
    account_id: str
    key: str
    headers: dict[str, str]


@dataclass
class Api:
    client: httpx.AsyncClient
    billing_key: str
    finance_key: str

    @property
    def billing(self) -> dict[str, str]:
        return bearer(self.billing_key)

    @property
    def finance(self) -> dict[str, str]:
        return bearer(self.finance_key)

    async def account(self, name: str = "Acme Cloud Ltd.", cash_balance: str | None = "1000.00") -> str:
        response = await self.client.post("/v1/accounts", json={"name": name}, headers=self.billing)
        assert response.status_code == 201, response.text
        account_id = str(response.json()["id"])
        if cash_balance is not None:
            response = await self.client.put(
                f"/v1/accounts/{account_id}/cash-balance",
                json={"cash_balance": cash_balance},
                headers=self.billing,
            )
            assert response.status_code == 200, response.text
        return account_id

    async def customer(self, cash_balance: str | None = "1000.00", name: str | None = None) -> Customer:
        account_id = await self.account(name or "Acme Cloud Ltd.", cash_balance=cash_balance)
        response = await self.client.post(
            f"/v1/accounts/{account_id}/api-keys", json={"role": "customer"}, headers=self.billing
        )
        assert response.status_code == 201, response.text
        key = response.json()["key"]
        return Customer(account_id=account_id, key=key, headers=bearer(key))

    async def certify(
        self, customer: Customer, name: str = "Acme Cloud Ltd.", taxpayer_id: str = TAXPAYER_ID
    ) -> dict[str, Any]:
        response = await self.client.put(
            "/v1/certification",
            json={"enterprise_name": name, "taxpayer_id": taxpayer_id},
            headers=customer.headers,
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


async def make_bill(
    api: Api,
    account_id: str,
    period: str = "2026-10",
    cash: str = "100.00",
    voucher: str = "0.00",
    card: str = "0.00",
    total: str | None = None,
    **terms: str,
) -> dict[str, Any]:
    """PUT a bill through the billing API; `total` defaults to the exact sum of the parts; `terms`
    are its tax terms (seller_id, tax_rate, …) when not the defaults."""
    if total is None:
        fen = sum(int(part.replace(".", "")) for part in (cash, voucher, card))
        total = f"{fen // 100}.{fen % 100:02d}"
    response = await api.client.put(
        f"/v1/accounts/{account_id}/bills/{period}",
        json={
            "total_amount": total,
            "cash_amount": cash,
            "voucher_amount": voucher,
            "stored_value_card_amount": card,
            **terms,
        },
        headers=api.billing,
    )
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


async def make_card(
    api: Api,
    account_id: str,
    card_no: str = "SVC-0001",
    paid: str = "500.00",
    face: str = "500.00",
    purchased_at: str = "2026-10-01T08:00:00Z",
) -> dict[str, Any]:
    """Record a stored-value card purchase through the billing API."""
    response = await api.client.post(
        f"/v1/accounts/{account_id}/stored-value-cards",
        json={"card_no": card_no, "face_value": face, "paid_amount": paid, "purchased_at": purchased_at},
        headers=api.billing,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def force_requested_amount(app: FastAPI, kind: str, item_id: str, fen: int) -> None:
    """Set a bill's or card's requested_amount directly in the database (for tests that need a
    reserved amount without going through an invoice request)."""
    import uuid

    from sqlalchemy import update

    from app.bills.models import Bill
    from app.cards.models import StoredValueCard

    model: type[Bill] | type[StoredValueCard] = Bill if kind == "bill" else StoredValueCard
    database: Database = app.state.database
    async with database.write_session() as session, session.begin():
        result = await session.execute(
            update(model).where(model.id == uuid.UUID(item_id)).values(requested_amount=fen)
        )
        assert result.rowcount == 1  # type: ignore[attr-defined]


VAT_SPECIAL_FIELDS: dict[str, Any] = {
    "bank_name": "Bank of China, Fuzhou Branch",
    "bank_account": "6217000012345678",
    "registered_address": "1 Software Ave, Fuzhou",
    "registered_phone": "0591-87654321",
}


async def make_profile(
    api: Api, customer: Customer, invoice_type: str = "vat_ordinary", **fields: Any
) -> dict[str, Any]:
    """POST an invoice profile (header copied from the certification); `vat_special` gets
    complete bank details unless `fields` override them."""
    body: dict[str, Any] = {"invoice_type": invoice_type}
    if invoice_type == "vat_special":
        body.update(VAT_SPECIAL_FIELDS)
    body.update(fields)
    response = await api.client.post("/v1/invoice-profiles", json=body, headers=customer.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def make_address(api: Api, customer: Customer, **fields: Any) -> dict[str, Any]:
    """POST a mailing address with both an email and a postal address unless `fields` override."""
    body: dict[str, Any] = {
        "recipient": "Li Lei",
        "phone": "13812345678",
        "email": "invoices@acme.example",
        "address": "1 Software Ave, Gulou District, Fuzhou",
        "postal_code": "350001",
    }
    body.update(fields)
    response = await api.client.post("/v1/mailing-addresses", json=body, headers=customer.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())
