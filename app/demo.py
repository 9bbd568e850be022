"""`invoicing demo`: load one demo account with everything needed to request invoices, and print
one API key per role (the last three lines of stdout: `CUSTOMER_KEY=…`, `BILLING_KEY=…`, `FINANCE_KEY=…`).
Before the keys it says how to issue: through the sandbox tax platform, as `make run` serves."""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.accounts import service as accounts
from app.addresses.schemas import AddressCreate
from app.addresses.service import create_address
from app.bills.service import BillAmounts, upsert_bill
from app.cards.service import CardPurchase, record_purchase
from app.certification.service import certify
from app.core.auth import Role
from app.core.clock import utcnow
from app.core.database import Database
from app.core.migrations import migrate
from app.core.money import format_money
from app.core.settings import get_settings
from app.profiles.schemas import ProfileCreate
from app.profiles.service import create_profile
from app.sellers.service import term_defaults
from app.sellers.terms import TermsIn

ENTERPRISE = "Demo Cloud Technology Co., Ltd."
TAXPAYER_ID = "91350100M000100Y43"  # a valid Unified Social Credit Code
CASH_BALANCE = 8_800_00
VOUCHER_ONLY_MONTHS = frozenset({2, 6, 10})  # months paid wholly by vouchers: nothing to invoice


@dataclass(frozen=True, slots=True)
class DemoAccount:
    account_id: uuid.UUID
    invoiceable: int
    keys: dict[Role, str]


def _last_twelve_periods(now: datetime) -> list[str]:
    """The twelve months before the current one, oldest first: bills exist for finished months."""
    periods = []
    year, month = now.year, now.month
    for _ in range(12):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        periods.append(f"{year:04d}-{month:02d}")
    return list(reversed(periods))


def _bill(index: int) -> BillAmounts:
    total = 1_000_00 + 137_50 * index
    if index in VOUCHER_ONLY_MONTHS:
        return BillAmounts(
            total_amount=total, cash_amount=0, voucher_amount=total, stored_value_card_amount=0
        )
    voucher = 50_00 if index % 3 == 0 else 0
    card = 200_00 if index % 4 == 1 else 0
    return BillAmounts(
        total_amount=total,
        cash_amount=total - voucher - card,
        voucher_amount=voucher,
        stored_value_card_amount=card,
    )


async def load(database_url: str) -> DemoAccount:
    """Create the demo account in one transaction, through the same services the API uses."""
    database = Database(database_url)
    try:
        async with database.write_session() as session:
            account = await accounts.create_account(session, "Demo Cloud", None)
            await accounts.set_cash_balance(session, account.id, CASH_BALANCE)
            await certify(session, account.id, ENTERPRISE, TAXPAYER_ID)
            # An electronic profile beside the default paper one: a request made with it is issued
            # by the sandbox tax platform and emailed as a PDF without anyone typing a number.
            for invoice_type, is_default in (("electronic_ordinary", False), ("vat_ordinary", True)):
                await create_profile(
                    session,
                    account.id,
                    ProfileCreate.model_validate({"invoice_type": invoice_type, "is_default": is_default}),
                )
            await create_address(
                session,
                account.id,
                AddressCreate.model_validate(
                    {
                        "recipient": "Han Meimei",
                        "phone": "13800138000",
                        "email": "invoices@demo.example",
                        "address": "88 Software Avenue, Gulou District, Fuzhou",
                        "postal_code": "350001",
                        "is_default": True,
                    }
                ),
            )
            defaults = term_defaults(get_settings())
            invoiceable = 0
            for index, period in enumerate(_last_twelve_periods(utcnow())):
                amounts = _bill(index)
                await upsert_bill(session, account.id, period, amounts, TermsIn(), defaults)
                invoiceable += amounts.cash_amount
            cards = (("DEMO-SVC-0001", 1_000_00, 950_00, 200), ("DEMO-SVC-0002", 5_000_00, 4_600_00, 40))
            for card_no, face, paid, days_ago in cards:
                purchase = CardPurchase(
                    card_no=card_no,
                    face_value=face,
                    paid_amount=paid,
                    purchased_at=utcnow().replace(microsecond=0) - timedelta(days=days_ago),
                )
                await record_purchase(session, account.id, purchase, TermsIn(), defaults)
                invoiceable += paid
            keys = {
                role: (
                    await accounts.issue_key(session, role, account.id if role is Role.customer else None)
                ).key
                for role in (Role.customer, Role.billing, Role.finance)
            }
            await session.commit()
            return DemoAccount(account_id=account.id, invoiceable=invoiceable, keys=keys)
    finally:
        await database.dispose()


def main() -> int:
    database_url = get_settings().database_url
    migrate(database_url)
    demo = asyncio.run(load(database_url))
    print(f"demo account {demo.account_id}: certified, a vat_ordinary profile, an address,")
    print(f"12 monthly bills ({len(VOUCHER_ONLY_MONTHS)} paid by vouchers only), 2 stored-value cards,")
    print(f"cash balance {format_money(CASH_BALANCE)}, invoiceable {format_money(demo.invoiceable)}")
    print("finance issues its requests through the sandbox tax platform (POST …/issue with an empty body):")
    print("`make run` serves with INVOICING_TAX_PLATFORM=sandbox; see docs/TAX_PLATFORM.md")
    print("keys (shown once):")
    for role, key in demo.keys.items():
        print(f"{role.value.upper()}_KEY={key}")
    return 0
