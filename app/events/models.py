"""The event outbox: written in the same transaction as the change it reports."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.database import Base, BigSerial, JSONDocument, UTCDateTime


class Event(Base):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(BigSerial, primary_key=True, autoincrement=True)
    # PostgreSQL: the writing transaction's id. The feed is ordered by (txid, id) and only serves
    # transactions older than every one still running, so a late commit can never slip in behind
    # a consumer's cursor. SQLite serializes writers, so there it is NULL and id order is commit order.
    txid: Mapped[int | None] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # Who made the change, when a caller made it (an invoice request's move); null otherwise.
    actor_role: Mapped[str | None] = mapped_column(String(16))
    actor_name: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (Index("ix_event_txid_id", "txid", "id"),)
