"""Account and API key tables."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.database import Base, UTCDateTime


class Account(Base):
    __tablename__ = "account"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Integer fen; negative means arrears.
    cash_balance: Mapped[int] = mapped_column(BigInteger, default=0)
    # Integer fen: the sum of the account's items' over-invoiced amounts (app/accounts/ledger.py),
    # kept by every change that moves it, under the account's row lock.
    invoice_deficit: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("invoice_deficit >= 0", name="invoice_deficit"),
        Index("ix_account_created_at_id", "created_at", "id"),
    )


class ApiKey(Base):
    __tablename__ = "api_key"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    role: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id"), index=True)
    # The key's first characters, shown to tell keys apart (`invoicing revoke-key PREFIX`).
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    # Who holds a staff key (`invoicing create-key --name`): the operator a timeline names.
    name: Mapped[str | None] = mapped_column(String(100))
    # SHA-256 of the whole key; the key itself is never stored.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Written at most once a minute per key per worker (app/accounts/usage.py), never per request.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("role IN ('customer', 'billing', 'finance')", name="role"),
        CheckConstraint("(role = 'customer') = (account_id IS NOT NULL)", name="customer_has_account"),
    )
