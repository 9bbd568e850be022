"""Invoice profile rules: the header equals the certification, VAT-special needs bank details,
one default per account, soft delete."""

import uuid
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.defaults import flush_guarding_default, make_default
from app.certification.models import Certification
from app.certification.service import get_certification
from app.core.clock import utcnow
from app.core.errors import Conflict, DomainError, NotFound
from app.core.pagination import PageParams, keyset, paginate
from app.profiles import rules
from app.profiles.models import InvoiceProfile
from app.profiles.schemas import ProfileCreate, ProfileOut, ProfileUpdate

OPTIONAL_FIELDS = ("bank_name", "bank_account", "registered_address", "registered_phone")


class CertificationRequired(Conflict):
    code = "certification_required"
    detail = "Certify the enterprise first (PUT /v1/certification)."


class HeaderMismatch(DomainError):
    code = "header_mismatch"
    status = 422
    detail = "The invoice header must equal the enterprise certification."


class MissingRequiredFields(DomainError):
    code = "validation_error"
    status = 422
    detail = "A VAT special invoice needs bank_name, bank_account, registered_address and registered_phone."


# --- helpers for invoice requests -----------------------------------------------------------


async def get_profile_for_request(
    session: AsyncSession, account_id: uuid.UUID, profile_id: uuid.UUID
) -> InvoiceProfile:
    """The account's live profile, or NotFound (missing, deleted or another account's)."""
    values = {"account_id": account_id, "profile_id": profile_id}
    profile = (await session.execute(_LIVE_BY_ID, values)).scalar()
    if profile is None:
        raise NotFound("No such invoice profile.")
    return profile


async def get_default_profile(session: AsyncSession, account_id: uuid.UUID) -> InvoiceProfile | None:
    """The account's live default profile, if it has one."""
    return (await session.execute(_LIVE_DEFAULT, {"account_id": account_id})).scalar()


def profile_snapshot(profile: InvoiceProfile) -> dict[str, Any]:
    """What an invoice request keeps of the profile, as JSON."""
    return {
        "id": str(profile.id),
        "invoice_type": profile.invoice_type,
        "title": profile.title,
        "taxpayer_id": profile.taxpayer_id,
        "bank_name": profile.bank_name,
        "bank_account": profile.bank_account,
        "registered_address": profile.registered_address,
        "registered_phone": profile.registered_phone,
    }


# --- queries --------------------------------------------------------------------------------


def _live(account_id: uuid.UUID | BindParameter[uuid.UUID]) -> Select[InvoiceProfile]:
    """Every customer query starts here: the account's rows that are not deleted."""
    return select(InvoiceProfile).where(live_profile(account_id))


def live_profile(account_id: Any, profile_id: Any = None) -> ColumnElement[bool]:
    """The condition of `_live` (and of one profile by id), for a query that joins the account's
    live profile instead of selecting it (request creation reads it with the account)."""
    condition = and_(InvoiceProfile.account_id == account_id, InvoiceProfile.deleted_at.is_(None))
    return condition if profile_id is None else and_(condition, InvoiceProfile.id == profile_id)


# Built once for invoice requests (only the bound ids vary per request).
_LIVE_BY_ID = _live(bindparam("account_id")).where(InvoiceProfile.id == bindparam("profile_id"))
_LIVE_DEFAULT = _live(bindparam("account_id")).where(InvoiceProfile.is_default.is_(True))
_KEYS = (InvoiceProfile.created_at, InvoiceProfile.id)
# The list, newest first, without and with a cursor.
_LIST = {after: keyset(_live(bindparam("account_id")), *_KEYS, after=after) for after in (False, True)}


def to_out(profile: InvoiceProfile, certification: Certification | None) -> ProfileOut:
    return ProfileOut(
        id=profile.id,
        invoice_type=profile.invoice_type,
        title=profile.title,
        taxpayer_id=profile.taxpayer_id,
        bank_name=profile.bank_name,
        bank_account=profile.bank_account,
        registered_address=profile.registered_address,
        registered_phone=profile.registered_phone,
        is_default=profile.is_default,
        usable=rules.is_usable(profile, certification),
        created_at=profile.created_at,
        updated_at=profile.updated_at,
    )


async def get_profile(session: AsyncSession, account_id: uuid.UUID, profile_id: uuid.UUID) -> ProfileOut:
    profile = await get_profile_for_request(session, account_id, profile_id)
    return to_out(profile, await get_certification(session, account_id))


async def list_profiles(
    session: AsyncSession, account_id: uuid.UUID, params: PageParams
) -> tuple[list[ProfileOut], bool, str | None]:
    stmt = _LIST[params.cursor is not None]
    rows, has_more, cursor = await paginate(session, stmt, params, *_KEYS, values={"account_id": account_id})
    certification = await get_certification(session, account_id)
    return [to_out(row, certification) for row in rows], has_more, cursor


# --- changes --------------------------------------------------------------------------------


def _check_header(
    certification: Certification | None, title: str | None, taxpayer_id: str | None
) -> Certification:
    if certification is None:
        raise CertificationRequired()
    mismatched = [
        {"field": f"body.{name}", "message": f"must equal the certification's {label}"}
        for name, label, given, expected in (
            ("title", "enterprise_name", title, certification.enterprise_name),
            ("taxpayer_id", "taxpayer_id", taxpayer_id, certification.taxpayer_id),
        )
        if given is not None and given != expected
    ]
    if mismatched:
        raise HeaderMismatch(errors=mismatched)
    return certification


def _check_required_fields(profile: InvoiceProfile) -> None:
    missing = rules.missing_fields(profile)
    if missing:
        raise MissingRequiredFields(
            f"A {profile.invoice_type} invoice needs: {', '.join(missing)}.",
            errors=[{"field": f"body.{name}", "message": "is required for vat_special"} for name in missing],
        )


async def create_profile(session: AsyncSession, account_id: uuid.UUID, body: ProfileCreate) -> ProfileOut:
    certification = _check_header(await get_certification(session, account_id), body.title, body.taxpayer_id)
    now = utcnow()
    profile = InvoiceProfile(
        id=uuid.uuid4(),
        account_id=account_id,
        invoice_type=body.invoice_type,
        title=certification.enterprise_name,
        taxpayer_id=certification.taxpayer_id,
        bank_name=body.bank_name,
        bank_account=body.bank_account,
        registered_address=body.registered_address,
        registered_phone=body.registered_phone,
        is_default=body.is_default,
        created_at=now,
        updated_at=now,
    )
    _check_required_fields(profile)
    if profile.is_default:
        await make_default(session, InvoiceProfile, account_id, profile.id)
    session.add(profile)
    await flush_guarding_default(session)
    return to_out(profile, certification)


async def update_profile(
    session: AsyncSession, account_id: uuid.UUID, profile_id: uuid.UUID, body: ProfileUpdate
) -> ProfileOut:
    given = body.model_fields_set
    profile = await get_profile_for_request(session, account_id, profile_id)
    certification = await get_certification(session, account_id)
    if "title" in given or "taxpayer_id" in given:
        _check_header(certification, body.title, body.taxpayer_id)
        if body.title is not None:
            profile.title = body.title
        if body.taxpayer_id is not None:
            profile.taxpayer_id = body.taxpayer_id
    if body.invoice_type is not None:
        profile.invoice_type = body.invoice_type
    for name in OPTIONAL_FIELDS:
        if name in given:
            setattr(profile, name, getattr(body, name))
    _check_required_fields(profile)
    if body.is_default is True and not profile.is_default:
        await make_default(session, InvoiceProfile, account_id, profile.id)
    if body.is_default is not None:
        profile.is_default = body.is_default
    await flush_guarding_default(session)
    return to_out(profile, certification)


async def delete_profile(session: AsyncSession, account_id: uuid.UUID, profile_id: uuid.UUID) -> None:
    """Soft delete: requests keep their snapshot; the row leaves every customer view."""
    profile = await get_profile_for_request(session, account_id, profile_id)
    now = utcnow()
    profile.deleted_at = now
    profile.is_default = False
    profile.updated_at = now
    await session.flush()
