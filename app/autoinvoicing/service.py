"""The customer's automatic-invoicing setting: read it, and change it with the request-creation checks."""

import uuid
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.addresses.service import get_address_for_request, get_default_address
from app.autoinvoicing.models import AutoInvoicingSetting
from app.autoinvoicing.schemas import AutoInvoicingOut, AutoInvoicingPut
from app.certification.service import get_certification
from app.core.clock import utcnow
from app.core.errors import NotFound
from app.core.ids import try_parse_id
from app.profiles.service import get_default_profile, get_profile_for_request
from app.requests.create import check_usable

_BY_ACCOUNT = select(AutoInvoicingSetting).where(AutoInvoicingSetting.account_id == bindparam("account_id"))


async def get_setting(
    session: AsyncSession, account_id: uuid.UUID, *, lock: bool = False
) -> AutoInvoicingSetting | None:
    stmt = _BY_ACCOUNT.with_for_update().execution_options(populate_existing=True) if lock else _BY_ACCOUNT
    return (await session.execute(stmt, {"account_id": account_id})).scalar_one_or_none()


def to_out(setting: AutoInvoicingSetting | None) -> AutoInvoicingOut:
    if setting is None:
        return AutoInvoicingOut(enabled=False, profile_id=None, address_id=None, updated_at=None)
    return AutoInvoicingOut(
        enabled=setting.enabled,
        profile_id=setting.profile_id,
        address_id=setting.address_id,
        updated_at=setting.updated_at,
    )


async def read(session: AsyncSession, account_id: uuid.UUID) -> AutoInvoicingOut:
    return to_out(await get_setting(session, account_id))


def _parse(value: str, what: str) -> uuid.UUID:
    parsed = try_parse_id(value)
    if parsed is None:
        raise NotFound(f"No such {what}: {value}.")
    return parsed


async def update(session: AsyncSession, account_id: uuid.UUID, body: AutoInvoicingPut) -> AutoInvoicingOut:
    """Enabling checks what a request would: the profile and address are the account's (404) and
    could serve a request now (409 `profile_not_usable`, 422 `address_incomplete`).

    An omitted profile or address is the one chosen before, else (when enabling) the account's
    default; enabling with neither is 404: the account has no profile or address to use."""
    current = await get_setting(session, account_id, lock=True)
    profile = address = None
    if body.profile_id is not None:
        profile = await get_profile_for_request(
            session, account_id, _parse(body.profile_id, "invoice profile")
        )
    elif body.enabled and current is not None and current.profile_id is not None:
        profile = await get_profile_for_request(session, account_id, current.profile_id)
    elif body.enabled:
        profile = await get_default_profile(session, account_id)
    if body.address_id is not None:
        address = await get_address_for_request(
            session, account_id, _parse(body.address_id, "mailing address")
        )
    elif body.enabled and current is not None and current.address_id is not None:
        address = await get_address_for_request(session, account_id, current.address_id)
    elif body.enabled:
        address = await get_default_address(session, account_id)

    if body.enabled:
        if profile is None:
            raise NotFound("No invoice profile to use: give profile_id (this account has no default).")
        if address is None:
            raise NotFound("No mailing address to use: give address_id (this account has no default).")
        check_usable(profile, await get_certification(session, account_id), address)
    # Switching off keeps the earlier choice, even one deleted since (it is checked when switched on).
    profile_id = profile.id if profile is not None else (current.profile_id if current else None)
    address_id = address.id if address is not None else (current.address_id if current else None)

    if current is not None and (current.enabled, current.profile_id, current.address_id) == (
        body.enabled,
        profile_id,
        address_id,
    ):
        return to_out(current)  # a repeated PUT changes nothing
    values: dict[str, Any] = {
        "account_id": account_id,
        "enabled": body.enabled,
        "profile_id": profile_id,
        "address_id": address_id,
        "updated_at": utcnow(),
    }
    # An upsert: two first PUTs of one account at once cannot both insert.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(AutoInvoicingSetting).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[AutoInvoicingSetting.account_id],
        set_={key: value for key, value in values.items() if key != "account_id"},
    )
    await session.execute(stmt)
    now = values["updated_at"]
    return AutoInvoicingOut(
        enabled=body.enabled, profile_id=profile_id, address_id=address_id, updated_at=now
    )
