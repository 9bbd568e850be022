"""The invoiceable summary: the figure beside "Request Now" and why a request would be refused."""

import uuid
from typing import Any

from sqlalchemy import Row, Select, Subquery, bindparam, func, or_, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.addresses.models import MailingAddress
from app.bills.models import Bill
from app.cards.models import StoredValueCard
from app.certification.models import Certification
from app.core.errors import NotFound
from app.invoiceable.blockers import Facts, blockers
from app.invoiceable.schemas import InvoiceableSummaryOut, ItemTotals, SellerTotals
from app.profiles.models import InvoiceProfile
from app.profiles.rules import CertificationLike, is_usable
from app.sellers.models import Seller


def _totals(remaining: Any, account_column: Any) -> Subquery:
    """Count and sum of what is left to invoice over one table's rows of the account."""
    return (
        select(func.count().label("count"), func.coalesce(func.sum(remaining), 0).label("amount"))
        .where(account_column == bindparam("account_id"), remaining > 0)
        .subquery()
    )


def _facts_statement() -> Select[Any]:
    """Balance, both totals, the certification's header and whether an address exists."""
    bills = _totals(Bill.invoiceable_amount, Bill.account_id)
    cards = _totals(StoredValueCard.invoiceable_amount, StoredValueCard.account_id)
    has_address = (
        select(MailingAddress.id)
        .where(MailingAddress.account_id == bindparam("account_id"), MailingAddress.deleted_at.is_(None))
        .exists()
    )
    return (
        select(
            Account.cash_balance,
            Account.invoice_deficit,
            bills.c.count.label("bill_count"),
            bills.c.amount.label("bill_amount"),
            cards.c.count.label("card_count"),
            cards.c.amount.label("card_amount"),
            Certification.enterprise_name,
            Certification.taxpayer_id,
            has_address.label("has_address"),
        )
        .select_from(Account)
        .join(bills, true())
        .join(cards, true())
        .outerjoin(Certification, Certification.account_id == Account.id)
        .where(Account.id == bindparam("account_id"))
    )


# Built once (a statement this size costs more to build than to run); only the account varies.
_FACTS = _facts_statement()
# Narrowed by header in SQL; the full usability rule stays in app/profiles/rules.py.
_PROFILES_WITH_HEADER = select(
    InvoiceProfile.invoice_type,
    InvoiceProfile.title,
    InvoiceProfile.taxpayer_id,
    InvoiceProfile.bank_name,
    InvoiceProfile.bank_account,
    InvoiceProfile.registered_address,
    InvoiceProfile.registered_phone,
).where(
    InvoiceProfile.account_id == bindparam("account_id"),
    InvoiceProfile.deleted_at.is_(None),
    InvoiceProfile.title == bindparam("title"),
    InvoiceProfile.taxpayer_id == bindparam("taxpayer_id"),
)


def _group_statement() -> Select[*tuple[Any, ...]]:
    """What is left to invoice and what was over-invoiced, per tax group (seller, rate, code) of the
    account's items that have either, with the seller's name."""

    def per_group(model: type[Bill] | type[StoredValueCard]) -> Select[*tuple[Any, ...]]:
        return (
            select(
                model.seller_id.label("seller_id"),
                model.tax_rate.label("tax_rate"),
                model.tax_category_code.label("tax_category_code"),
                func.sum(model.invoiceable_amount).label("invoiceable"),
                func.sum(model.over_invoiced_amount).label("deficit"),
            )
            .where(
                model.account_id == bindparam("account_id"),
                or_(model.invoiceable_amount > 0, model.over_invoiced_amount > 0),
            )
            .group_by(model.seller_id, model.tax_rate, model.tax_category_code)
        )

    groups = union_all(per_group(Bill), per_group(StoredValueCard)).subquery("groups")
    return (
        select(
            groups.c.seller_id,
            Seller.name,
            groups.c.tax_rate,
            groups.c.tax_category_code,
            func.sum(groups.c.invoiceable).label("invoiceable"),
            func.sum(groups.c.deficit).label("deficit"),
        )
        .join(Seller, Seller.id == groups.c.seller_id)
        .group_by(groups.c.seller_id, Seller.name, groups.c.tax_rate, groups.c.tax_category_code)
        .order_by(Seller.name, groups.c.seller_id, groups.c.tax_rate, groups.c.tax_category_code)
    )


_GROUPS = _group_statement()


async def _facts(session: AsyncSession, account_id: uuid.UUID) -> Row[Any]:
    connection = await session.connection()  # plain columns: no ORM result machinery
    row: Row[Any] | None = (await connection.execute(_FACTS, {"account_id": account_id})).one_or_none()
    if row is None:
        raise NotFound("No such account.")
    return row


async def _has_usable_profile(
    session: AsyncSession, account_id: uuid.UUID, certification: CertificationLike | None
) -> bool:
    if certification is None:
        return False  # a profile's header can only match a certification
    connection = await session.connection()
    profiles = await connection.execute(
        _PROFILES_WITH_HEADER,
        {
            "account_id": account_id,
            "title": certification.enterprise_name,
            "taxpayer_id": certification.taxpayer_id,
        },
    )
    return any(is_usable(profile, certification) for profile in profiles)


async def invoiceable_summary(
    session: AsyncSession, account_id: uuid.UUID, *, require_positive_cash_balance: bool
) -> InvoiceableSummaryOut:
    """Two statements (one when uncertified) however many bills, cards or profiles the account has."""
    facts = await _facts(session, account_id)
    certification = facts if facts.enterprise_name is not None else None
    bills = ItemTotals(count=int(facts.bill_count), amount=int(facts.bill_amount))
    cards = ItemTotals(count=int(facts.card_count), amount=int(facts.card_amount))
    total = bills.amount + cards.amount
    connection = await session.connection()
    rows = (await connection.execute(_GROUPS, {"account_id": account_id})).all()
    groups = [(int(row.invoiceable), int(row.deficit)) for row in rows]
    # A request may pick the tax groups it invoices (the deficit is settled per group): the account
    # can request if one group is worth requesting, so only those are asked about when there are.
    requestable = [group for group in groups if group[0] > group[1]]
    by_seller: dict[uuid.UUID, SellerTotals] = {}
    for row in rows:
        seller = by_seller.setdefault(
            row.seller_id,
            SellerTotals(
                seller_id=row.seller_id, seller_name=row.name, invoiceable_amount=0, invoice_deficit=0
            ),
        )
        seller.invoiceable_amount += int(row.invoiceable)
        seller.invoice_deficit += int(row.deficit)
    for seller in by_seller.values():
        seller.invoiceable_amount = max(0, seller.invoiceable_amount - seller.invoice_deficit)
    found = blockers(
        Facts(
            certified=certification is not None,
            cash_balance=facts.cash_balance,
            require_positive_cash_balance=require_positive_cash_balance,
            usable_profile=await _has_usable_profile(session, account_id, certification),
            address=bool(facts.has_address),
            invoiceable=total,
            invoice_deficit=facts.invoice_deficit,
            groups=tuple(requestable or groups),
        )
    )
    return InvoiceableSummaryOut(
        invoiceable_amount=max(0, total - facts.invoice_deficit),
        bills=bills,
        stored_value_cards=cards,
        invoice_deficit=facts.invoice_deficit,
        cash_balance=facts.cash_balance,
        can_request=not found,
        blockers=found,
        by_seller=list(by_seller.values()),
    )
