"""The stored_value_card table; amounts in integer fen."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, column_property, mapped_column

from app.accounts.ledger import OVER_INVOICED_CARD, invoiceable, over_invoiced
from app.core.clock import utcnow
from app.core.database import Base, UTCDateTime
from app.sellers.terms import TAX_RATE_CHECK


class StoredValueCard(Base):
    __tablename__ = "stored_value_card"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"))
    card_no: Mapped[str] = mapped_column(String(64))
    face_value: Mapped[int] = mapped_column(BigInteger)
    paid_amount: Mapped[int] = mapped_column(BigInteger)
    # Sum of the refunds recorded by the billing engine (stored_value_card_refund).
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # Sum of this card's lines in active requests (negative lines too).
    requested_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # A card is invoiced at what was paid for it, less what was refunded.
    invoiceable_amount: Mapped[int] = column_property(
        invoiceable(paid_amount - refunded_amount, requested_amount)
    )
    over_invoiced_amount: Mapped[int] = column_property(
        over_invoiced(paid_amount - refunded_amount, requested_amount)
    )
    # The tax terms (app/sellers/terms.py): fixed once any amount of the item is in an active request.
    seller_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seller.id"))
    tax_rate: Mapped[str] = mapped_column(String(4))
    tax_category_code: Mapped[str] = mapped_column(String(19))
    item_name: Mapped[str] = mapped_column(String(100))
    purchased_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint(TAX_RATE_CHECK, name="tax_rate"),
        UniqueConstraint("account_id", "card_no"),
        CheckConstraint("face_value >= 0 AND paid_amount >= 0", name="amounts"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= paid_amount", name="refunded"),
        Index("ix_stored_value_card_account_id_created_at_id", "account_id", "created_at", "id"),
        # Only the over-invoiced cards: how request creation finds an account's (see
        # app/requests/reservations.py).
        Index(
            "ix_stored_value_card_over_invoiced",
            "account_id",
            "id",
            sqlite_where=text(OVER_INVOICED_CARD),
            postgresql_where=text(OVER_INVOICED_CARD),
        ),
    )


class StoredValueCardRefund(Base):
    """One refund of a card recorded by the billing engine; append-only."""

    __tablename__ = "stored_value_card_refund"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    card_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stored_value_card.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)
