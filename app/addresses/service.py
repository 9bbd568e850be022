"""Mailing address rules: an email or a postal address (or both), one default per account,
soft delete."""

import uuid
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.defaults import flush_guarding_default, make_default
from app.addresses.models import MailingAddress
from app.addresses.schemas import AddressCreate, AddressOut, AddressUpdate
from app.core.clock import utcnow
from app.core.errors import DomainError, NotFound
from app.core.pagination import PageParams, keyset, paginate

REPLACEABLE_FIELDS = ("recipient", "phone", "email", "cc_emails", "address", "postal_code")


class NoDestination(DomainError):
    code = "validation_error"
    status = 422
    detail = "Give at least one of email (electronic invoices) and address (paper invoices)."


# --- helpers for invoice requests -----------------------------------------------------------


async def get_address_for_request(
    session: AsyncSession, account_id: uuid.UUID, address_id: uuid.UUID
) -> MailingAddress:
    """The account's live address, or NotFound (missing, deleted or another account's)."""
    values = {"account_id": account_id, "address_id": address_id}
    address = (await session.execute(_LIVE_BY_ID, values)).scalar()
    if address is None:
        raise NotFound("No such mailing address.")
    return address


async def get_default_address(session: AsyncSession, account_id: uuid.UUID) -> MailingAddress | None:
    """The account's live default address, if it has one."""
    return (await session.execute(_LIVE_DEFAULT, {"account_id": account_id})).scalar()


def address_snapshot(address: MailingAddress) -> dict[str, Any]:
    """What an invoice request keeps of the address, as JSON."""
    return {
        "id": str(address.id),
        "recipient": address.recipient,
        "phone": address.phone,
        "email": address.email,
        "cc_emails": list(address.cc_emails or []),
        "address": address.address,
        "postal_code": address.postal_code,
    }


# --- queries --------------------------------------------------------------------------------


def _live(account_id: uuid.UUID | BindParameter[uuid.UUID]) -> Select[MailingAddress]:
    """Every customer query starts here: the account's rows that are not deleted."""
    return select(MailingAddress).where(live_address(account_id))


def live_address(account_id: Any, address_id: Any = None) -> ColumnElement[bool]:
    """The condition of `_live` (and of one address by id), for a query that joins the account's
    live address instead of selecting it (request creation reads it with the account)."""
    condition = and_(MailingAddress.account_id == account_id, MailingAddress.deleted_at.is_(None))
    return condition if address_id is None else and_(condition, MailingAddress.id == address_id)


# Built once for invoice requests (only the bound ids vary per request).
_LIVE_BY_ID = _live(bindparam("account_id")).where(MailingAddress.id == bindparam("address_id"))
_LIVE_DEFAULT = _live(bindparam("account_id")).where(MailingAddress.is_default.is_(True))
_KEYS = (MailingAddress.created_at, MailingAddress.id)
# The list, newest first, without and with a cursor.
_LIST = {after: keyset(_live(bindparam("account_id")), *_KEYS, after=after) for after in (False, True)}


async def get_address(session: AsyncSession, account_id: uuid.UUID, address_id: uuid.UUID) -> AddressOut:
    return AddressOut.model_validate(await get_address_for_request(session, account_id, address_id))


async def list_addresses(
    session: AsyncSession, account_id: uuid.UUID, params: PageParams
) -> tuple[list[AddressOut], bool, str | None]:
    stmt = _LIST[params.cursor is not None]
    rows, has_more, cursor = await paginate(session, stmt, params, *_KEYS, values={"account_id": account_id})
    return [AddressOut.model_validate(row) for row in rows], has_more, cursor


# --- changes --------------------------------------------------------------------------------


def _check_destination(address: MailingAddress) -> None:
    if not address.email and not address.address:
        raise NoDestination(
            errors=[
                {"field": "body.email", "message": "give an email, a postal address, or both"},
                {"field": "body.address", "message": "give an email, a postal address, or both"},
            ]
        )


async def create_address(session: AsyncSession, account_id: uuid.UUID, body: AddressCreate) -> AddressOut:
    now = utcnow()
    address = MailingAddress(
        id=uuid.uuid4(),
        account_id=account_id,
        recipient=body.recipient,
        phone=body.phone,
        email=body.email,
        cc_emails=body.cc_emails,
        address=body.address,
        postal_code=body.postal_code,
        is_default=body.is_default,
        created_at=now,
        updated_at=now,
    )
    _check_destination(address)
    if address.is_default:
        await make_default(session, MailingAddress, account_id, address.id)
    session.add(address)
    await flush_guarding_default(session)
    return AddressOut.model_validate(address)


async def update_address(
    session: AsyncSession, account_id: uuid.UUID, address_id: uuid.UUID, body: AddressUpdate
) -> AddressOut:
    given = body.model_fields_set
    address = await get_address_for_request(session, account_id, address_id)
    for name in REPLACEABLE_FIELDS:
        if name in given:
            setattr(address, name, getattr(body, name))
    _check_destination(address)
    if body.is_default is True and not address.is_default:
        await make_default(session, MailingAddress, account_id, address.id)
    if body.is_default is not None:
        address.is_default = body.is_default
    await flush_guarding_default(session)
    return AddressOut.model_validate(address)


async def delete_address(session: AsyncSession, account_id: uuid.UUID, address_id: uuid.UUID) -> None:
    """Soft delete: requests keep their snapshot; the row leaves every customer view."""
    address = await get_address_for_request(session, account_id, address_id)
    address.deleted_at = utcnow()
    address.is_default = False
    await session.flush()
