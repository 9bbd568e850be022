"""The sandbox tax platform's own tables: its number sequence per seller, what was submitted to it,
and the faults a test or an operator asked it to show. They stand for the platform's side: nothing
else in the service reads them."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.database import Base, BigSerial, JSONDocument, UTCDateTime


class SandboxSequence(Base):
    """The last number issued per seller (keyed by taxpayer id: the sandbox knows sellers only by it,
    as a real platform does), and the seller's code in the sandbox, which keeps the numbers of two
    sellers apart (1, 2, … in the order the sandbox first issued for them)."""

    __tablename__ = "tax_sandbox_sequence"

    seller_taxpayer_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seller_code: Mapped[int] = mapped_column(Integer, unique=True)
    last_value: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint("last_value > 0", name="last_value"),
        CheckConstraint("seller_code > 0", name="seller_code"),
    )


class SandboxInvoice(Base):
    """One submission, blue or red, by the service's serial: pending → issued | refused."""

    __tablename__ = "tax_sandbox_invoice"

    serial: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    seller_taxpayer_id: Mapped[str] = mapped_column(String(32))
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A red-letter submission: the blue invoice it reverses; `reverses` only while it is not
    # refused, so the unique index lets each blue invoice be reversed once.
    blue_number: Mapped[str | None] = mapped_column(String(20))
    reverses: Mapped[str | None] = mapped_column(String(20), unique=True)
    refusal_code: Mapped[str | None] = mapped_column(String(64))
    refusal_message: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The earliest time a query answers issued (INVOICING_TAX_SANDBOX_DELAY_SECONDS after submit).
    ready_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What the buyer did with it (none | deducted | booked): set by the sandbox's control.
    buyer_usage: Mapped[str] = mapped_column(String(16), default="none")
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    xml: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (
        CheckConstraint("kind IN ('blue', 'red')", name="kind"),
        CheckConstraint("status IN ('pending', 'issued', 'refused')", name="status"),
        CheckConstraint(
            "status <> 'issued' OR (number IS NOT NULL AND issued_at IS NOT NULL)", name="issued"
        ),
        CheckConstraint("status <> 'refused' OR refusal_code IS NOT NULL", name="refused"),
        CheckConstraint("kind = 'blue' OR blue_number IS NOT NULL", name="red_has_blue"),
        CheckConstraint("buyer_usage IN ('none', 'deducted', 'booked')", name="buyer_usage"),
        Index("ix_tax_sandbox_invoice_seller_taxpayer_id", "seller_taxpayer_id"),
    )


class SandboxFault(Base):
    """A fault the sandbox shows on its next calls (`times` of them): `refuse` (the next submission
    is refused when queried, e.g. quota_exhausted), `transient` (the call fails before doing
    anything), `lost_answer` (the call is done, then fails, as when a response is lost on the way),
    `malformed` (a query of an issued invoice answers lines whose amounts do not add up)."""

    __tablename__ = "tax_sandbox_fault"

    id: Mapped[int] = mapped_column(BigSerial, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    # submit | query | red_letter; NULL: any call the kind applies to.
    operation: Mapped[str | None] = mapped_column(String(16))
    # NULL: any seller.
    seller_taxpayer_id: Mapped[str | None] = mapped_column(String(32))
    remaining: Mapped[int] = mapped_column(Integer)
    code: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("kind IN ('refuse', 'transient', 'lost_answer', 'malformed')", name="kind"),
        CheckConstraint(
            "operation IS NULL OR operation IN ('submit', 'query', 'red_letter')", name="operation"
        ),
        CheckConstraint("remaining >= 0", name="remaining"),
    )


class SubmissionOutcome(Base):
    """How many tax-platform calls ended how, per provider (`/metrics`): counted in the database,
    since the worker processes that submit are not the API process that is scraped."""

    __tablename__ = "tax_submission_outcome"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
