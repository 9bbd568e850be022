"""Seller rules: the billing engine's writes, reads, and the one default seller."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, NotFound, ValidationFailed
from app.core.pagination import PageParams, keyset, paginate
from app.core.settings import Settings
from app.sellers.models import Seller
from app.sellers.schemas import SellerOut
from app.sellers.terms import TaxTerms, TermsIn


@dataclass(frozen=True, slots=True)
class SellerFields:
    name: str
    taxpayer_id: str
    address: str
    phone: str
    bank_name: str
    bank_account: str
    max_invoice_amount: int | None = None


def seller_out(seller: Seller) -> SellerOut:
    return SellerOut.model_validate(seller)


def seller_snapshot(seller_id: uuid.UUID, seller: SellerFields) -> dict[str, Any]:
    """The seller as a request keeps it (like the profile and address): later edits never change it.
    `max_invoice_amount` is in fen: the request's draft reads it."""
    return {
        "id": str(seller_id),
        "name": seller.name,
        "taxpayer_id": seller.taxpayer_id,
        "address": seller.address,
        "phone": seller.phone,
        "bank_name": seller.bank_name,
        "bank_account": seller.bank_account,
        "max_invoice_amount": seller.max_invoice_amount,
    }


async def _clear_default(session: AsyncSession) -> None:
    await session.execute(
        update(Seller).where(Seller.is_default.is_(True)).values(is_default=False),
        execution_options={"synchronize_session": False},
    )


async def create_seller(session: AsyncSession, fields: SellerFields, *, is_default: bool) -> Seller:
    """A new seller; the first one is the default whatever `is_default` says (there is always one)."""
    has_default = await _default(session) is not None
    if is_default and has_default:
        await _clear_default(session)
    seller = Seller(
        name=fields.name,
        taxpayer_id=fields.taxpayer_id,
        address=fields.address,
        phone=fields.phone,
        bank_name=fields.bank_name,
        bank_account=fields.bank_account,
        max_invoice_amount=fields.max_invoice_amount,
        is_default=is_default or not has_default,
    )
    session.add(seller)
    await session.flush()
    await session.refresh(seller)
    return seller


async def update_seller(session: AsyncSession, seller_id: uuid.UUID, changes: dict[str, Any]) -> Seller:
    """Apply the given fields (`max_invoice_amount: None` removes the limit). The default moves only
    by making another seller the default: `is_default: false` on the default is refused."""
    seller = await get_seller(session, seller_id)
    make_default = changes.pop("is_default", None)
    if make_default is False and seller.is_default:
        raise ValidationFailed(
            "body.is_default", "there is always one default seller: make another seller the default instead"
        )
    if make_default and not seller.is_default:
        await _clear_default(session)
        seller.is_default = True
    for name, value in changes.items():
        setattr(seller, name, value)
    await session.flush()
    await session.refresh(seller)
    return seller


async def get_seller(session: AsyncSession, seller_id: uuid.UUID) -> Seller:
    seller = (
        await session.execute(
            select(Seller).where(Seller.id == seller_id).execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if seller is None:
        raise NotFound("No such seller.")
    return seller


async def find_seller(session: AsyncSession, seller_id: str | None, field: str = "body.seller_id") -> Seller:
    """The seller an item names (404 for an unknown one), or the default when it names none."""
    if seller_id is None:
        return await default_seller(session)
    try:
        parsed = uuid.UUID(seller_id)
    except ValueError:
        raise NotFound(f"No such seller: {seller_id}.", field=field) from None
    found = await session.get(Seller, parsed)
    if found is None:
        raise NotFound(f"No such seller: {seller_id}.", field=field)
    return found


async def _default(session: AsyncSession) -> Seller | None:
    return (await session.execute(select(Seller).where(Seller.is_default.is_(True)))).scalar_one_or_none()


async def default_seller(session: AsyncSession) -> Seller:
    seller = await _default(session)
    if seller is None:  # migrations create one (invoicing migrate); only a hand-emptied table lacks it
        raise NotFound("No default seller: run `invoicing migrate` or create one (POST /v1/sellers).")
    return seller


async def ensure_default_seller(session: AsyncSession, settings: Settings) -> Seller:
    """The default seller, created from the INVOICING_SELLER_* settings when there is none."""
    found = await _default(session)
    if found is not None:
        return found
    return await create_seller(session, settings_seller(settings), is_default=True)


def settings_seller(settings: Settings) -> SellerFields:
    return SellerFields(
        name=settings.seller_name,
        taxpayer_id=settings.seller_taxpayer_id,
        address=settings.seller_address,
        phone=settings.seller_phone,
        bank_name=settings.seller_bank_name,
        bank_account=settings.seller_bank_account,
        max_invoice_amount=settings.seller_max_invoice_amount,
    )


async def list_sellers(session: AsyncSession, params: PageParams) -> tuple[list[Seller], bool, str | None]:
    keys = (Seller.created_at, Seller.id)
    return await paginate(
        session, keyset(select(Seller), *keys, after=params.cursor is not None), params, *keys
    )


class TaxTermsLocked(Conflict):
    code = "tax_terms_locked"
    detail = (
        "An amount of this item is in an active invoice request: its seller and tax terms cannot change "
        "(its amounts still may)."
    )


@dataclass(frozen=True, slots=True)
class TermDefaults:
    """The tax terms of an item that gives none (INVOICING_DEFAULT_*)."""

    tax_rate: str
    tax_category_code: str
    item_name: str


def term_defaults(settings: Settings) -> TermDefaults:
    return TermDefaults(
        tax_rate=settings.default_tax_rate,
        tax_category_code=settings.default_tax_category_code,
        item_name=settings.default_item_name,
    )


async def resolve_terms(
    session: AsyncSession, given: TermsIn, defaults: TermDefaults, current: TaxTerms | None = None
) -> TaxTerms:
    """The item's tax terms: what is given, else what it has (`current`), else the defaults and the
    default seller. An unknown seller is 404."""
    if given.seller_id is not None:
        seller_id = (await find_seller(session, given.seller_id)).id
    elif current is not None:
        seller_id = current.seller_id
    else:
        seller_id = (await default_seller(session)).id
    base = current or TaxTerms(seller_id, defaults.tax_rate, defaults.tax_category_code, defaults.item_name)
    return TaxTerms(
        seller_id=seller_id,
        tax_rate=given.tax_rate or base.tax_rate,
        tax_category_code=given.tax_category_code or base.tax_category_code,
        item_name=given.item_name or base.item_name,
    )


def terms_of(item: Any) -> TaxTerms:
    """The tax terms of a bill or card row."""
    return TaxTerms(item.seller_id, item.tax_rate, item.tax_category_code, item.item_name)
