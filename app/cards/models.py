"""The stored_value_card table; amounts in integer fen."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.database import Base, UTCDateTime


class StoredValueCard(Base):
    __tablename__ = "stored_value_card"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"))
    card_no: Mapped[str] = mapped_column(String(64))
    face_value: Mapped[int] = mapped_column(BigInteger)
    paid_amount: Mapped[int] = mapped_column(BigInteger)
    # Sum of the amounts of this card's items in active requests.
    requested_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    purchased_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("account_id", "card_no"),
        CheckConstraint("face_value >= 0 AND paid_amount >= 0", name="amounts"),
        CheckConstraint("requested_amount >= 0 AND requested_amount <= paid_amount", name="requested"),
        Index("ix_stored_value_card_account_id_created_at_id", "account_id", "created_at", "id"),
    )
