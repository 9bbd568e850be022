"""The bill table: one row per (account, period); amounts in integer fen."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, column_property, mapped_column

from app.accounts.ledger import OVER_INVOICED_BILL, invoiceable, over_invoiced
from app.core.clock import utcnow
from app.core.database import Base, UTCDateTime
from app.sellers.terms import TAX_RATE_CHECK


class Bill(Base):
    __tablename__ = "bill"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    total_amount: Mapped[int] = mapped_column(BigInteger)
    cash_amount: Mapped[int] = mapped_column(BigInteger)
    voucher_amount: Mapped[int] = mapped_column(BigInteger)
    stored_value_card_amount: Mapped[int] = mapped_column(BigInteger)
    # Sum of this bill's lines in active requests (negative lines too); above the cash part after
    # an amendment lowered it, below zero when a settling request outlives the over-invoiced one.
    requested_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # The cash part is the base: vouchers are never invoiced, card deductions were at purchase.
    invoiceable_amount: Mapped[int] = column_property(invoiceable(cash_amount, requested_amount))
    over_invoiced_amount: Mapped[int] = column_property(over_invoiced(cash_amount, requested_amount))
    # The tax terms (app/sellers/terms.py): fixed once any amount of the item is in an active request.
    seller_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seller.id"))
    tax_rate: Mapped[str] = mapped_column(String(4))
    tax_category_code: Mapped[str] = mapped_column(String(19))
    item_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(TAX_RATE_CHECK, name="tax_rate"),
        UniqueConstraint("account_id", "period"),
        CheckConstraint(
            "cash_amount >= 0 AND voucher_amount >= 0 AND stored_value_card_amount >= 0", name="parts"
        ),
        CheckConstraint(
            "total_amount = cash_amount + voucher_amount + stored_value_card_amount", name="total"
        ),
        Index("ix_bill_account_id_period_id", "account_id", "period", "id"),
        # Only the over-invoiced bills (a handful, usually none): request creation finds an
        # account's by this index, however many bills it has (see app/requests/reservations.py).
        Index(
            "ix_bill_over_invoiced",
            "account_id",
            "id",
            sqlite_where=text(OVER_INVOICED_BILL),
            postgresql_where=text(OVER_INVOICED_BILL),
        ),
    )
