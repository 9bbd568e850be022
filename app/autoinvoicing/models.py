"""Automatic monthly invoicing: each account's setting, and one row per account and month run."""

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.database import Base, UTCDateTime


class AutoInvoicingSetting(Base):
    """Whether the account's invoices are requested automatically, and with which profile and address."""

    __tablename__ = "auto_invoicing_setting"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    profile_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoice_profile.id"))
    address_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("mailing_address.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(
            "NOT enabled OR (profile_id IS NOT NULL AND address_id IS NOT NULL)", name="enabled_has_targets"
        ),
    )


class AutoInvoicingRun(Base):
    """The month's run for one account: its primary key is what makes it at most once per month.

    Inserted in the same transaction as the request it made or the skip it recorded, after the
    account's setting row was locked: a second worker waits on that lock and then finds this row, and
    the primary key refuses a second row whatever happens, so no account is served twice in a month.
    """

    __tablename__ = "auto_invoicing_run"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    outcome: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("invoice_request.id"))
    code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(
            "(outcome = 'requested' AND request_id IS NOT NULL AND code IS NULL)"
            " OR (outcome = 'skipped' AND request_id IS NULL AND code IS NOT NULL)",
            name="outcome",
        ),
    )
