"""Certification rules: one per account, re-certifiable, each change announced on the outbox."""

import uuid

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import ledger
from app.certification.models import Certification
from app.certification.schemas import CertificationOut
from app.core.clock import utcnow
from app.events import service as events

_BY_ACCOUNT = select(Certification).where(Certification.account_id == bindparam("account_id"))  # built once


async def get_certification(session: AsyncSession, account_id: uuid.UUID) -> Certification | None:
    return (await session.execute(_BY_ACCOUNT, {"account_id": account_id})).scalar_one_or_none()


def to_out(certification: Certification | None) -> CertificationOut:
    if certification is None:
        return CertificationOut(
            status="uncertified", enterprise_name=None, taxpayer_id=None, certified_at=None
        )
    return CertificationOut(
        status="certified",
        enterprise_name=certification.enterprise_name,
        taxpayer_id=certification.taxpayer_id,
        certified_at=certification.certified_at,
    )


async def read(session: AsyncSession, account_id: uuid.UUID) -> CertificationOut:
    return to_out(await get_certification(session, account_id))


async def certify(
    session: AsyncSession, account_id: uuid.UUID, enterprise_name: str, taxpayer_id: str
) -> CertificationOut:
    """Create or replace the account's certification; identical data changes nothing."""
    # The account's lock first (app/accounts/ledger.py): it serializes concurrent certifications
    # and keeps `certification.updated` in the order of the account's changes in the feed.
    await ledger.lock_account(session, account_id)  # 404 for an unknown account
    certification = await get_certification(session, account_id)
    if certification is not None and (
        certification.enterprise_name == enterprise_name and certification.taxpayer_id == taxpayer_id
    ):
        return to_out(certification)
    now = utcnow()
    if certification is None:
        certification = Certification(
            account_id=account_id,
            enterprise_name=enterprise_name,
            taxpayer_id=taxpayer_id,
            certified_at=now,
            updated_at=now,
        )
        session.add(certification)
    else:
        certification.enterprise_name = enterprise_name
        certification.taxpayer_id = taxpayer_id
        certification.certified_at = now
        certification.updated_at = now
    await session.flush()
    out = to_out(certification)
    await events.record(session, "certification.updated", account_id, out.model_dump(mode="json"))
    return out
