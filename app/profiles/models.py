"""The invoice_profile table; rows are soft-deleted so requests can still show them."""

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.database import Base, UTCDateTime
from app.profiles.rules import INVOICE_TYPES


class InvoiceProfile(Base):
    __tablename__ = "invoice_profile"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"))
    invoice_type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(100))
    taxpayer_id: Mapped[str] = mapped_column(String(18))
    bank_name: Mapped[str | None] = mapped_column(String(100))
    bank_account: Mapped[str | None] = mapped_column(String(40))
    registered_address: Mapped[str | None] = mapped_column(String(200))
    registered_phone: Mapped[str | None] = mapped_column(String(20))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(f"invoice_type IN ({', '.join(map(repr, INVOICE_TYPES))})", name="invoice_type"),
        Index("ix_invoice_profile_account_id_created_at_id", "account_id", "created_at", "id"),
        Index(
            "uq_invoice_profile_one_default",
            "account_id",
            unique=True,
            sqlite_where=text("is_default AND deleted_at IS NULL"),
            postgresql_where=text("is_default AND deleted_at IS NULL"),
        ),
    )
