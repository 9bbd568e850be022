"""The mailing_address table; rows are soft-deleted so requests can still show them."""

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.database import Base, JSONDocument, UTCDateTime


class MailingAddress(Base):
    __tablename__ = "mailing_address"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"))
    recipient: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    # Copies of electronic invoices (up to 5 addresses); NULL means none.
    cc_emails: Mapped[list[str] | None] = mapped_column(JSONDocument)
    address: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(6))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("email IS NOT NULL OR address IS NOT NULL", name="email_or_address"),
        Index("ix_mailing_address_account_id_created_at_id", "account_id", "created_at", "id"),
        Index(
            "uq_mailing_address_one_default",
            "account_id",
            unique=True,
            sqlite_where=text("is_default AND deleted_at IS NULL"),
            postgresql_where=text("is_default AND deleted_at IS NULL"),
        ),
    )
