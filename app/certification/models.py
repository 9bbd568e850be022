"""The certification table: at most one row per account."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.database import Base, UTCDateTime


class Certification(Base):
    __tablename__ = "certification"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), primary_key=True)
    enterprise_name: Mapped[str] = mapped_column(String(100))
    taxpayer_id: Mapped[str] = mapped_column(String(18))
    certified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
