"""Invoice requests, their items, their event timeline and the invoices issued for them."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.database import Base, BigSerial, JSONDocument, UTCDateTime


class InvoiceRequest(Base):
    __tablename__ = "invoice_request"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"))
    status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    invoice_type: Mapped[str] = mapped_column(String(32))
    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice_profile.id"))
    address_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mailing_address.id"))
    # What the customer chose, frozen at creation: later edits never change a request.
    profile_snapshot: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    address_snapshot: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # The seller of every item (one per request), frozen at creation like the profile and address.
    seller_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seller.id"))
    seller_snapshot: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    remark: Mapped[str | None] = mapped_column(String(500))
    # The header finance searches by, copied from the profile snapshot at creation (searchable and
    # indexed as columns; the snapshot stays the record).
    title: Mapped[str] = mapped_column(String(200))
    taxpayer_id: Mapped[str] = mapped_column(String(32))
    # When finance owes the answer (app/requests/ageing.py), fixed at creation.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    # Email delivery of an electronic request: {channel, to, status, attempts, last_error, sent_at,
    # job_id}; NULL until it is delivered. Only the job named by job_id updates it (resend replaces it).
    delivery: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    # Resends on the UTC day `resend_day` (at most RESENDS_PER_DAY), decided by a conditional UPDATE.
    resend_day: Mapped[str | None] = mapped_column(String(10))
    resend_count: Mapped[int | None] = mapped_column(Integer)
    # The red-letter reversal (SPEC §7), set when one starts: {reason_code, reason, buyer_usage,
    # confirmation, form_no, requested_at, expires_at, returns_to}; NULL before (and for requests
    # reversed before red letters existed).
    red_letter: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    # Re-issue (换开): the request this one replaces, and the request that replaces this one (the
    # latest; a replacement cancelled with its declined reversal stays named until the next).
    replaces_request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invoice_request.id"), index=True
    )
    replaced_by_request_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoice_request.id"))
    # Issuing through the tax platform (app/requests/issuing.py): the last refusal {code, message}
    # (NULL once issued, or never refused), and the serials: {"round": n, "kept": {position: serial},
    # "red": bool}; `round` counts refusals (a refused serial is never used again), `kept` the
    # invoices issued in an earlier round that a later one records instead of submitting again,
    # `red` whether the red-letter invoices are being issued (status `reversing`).
    issue_error: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    tax_issue: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list["InvoiceRequestItem"]] = relationship(
        back_populates="request", order_by="InvoiceRequestItem.position", lazy="raise"
    )
    events: Mapped[list["InvoiceRequestEvent"]] = relationship(
        back_populates="request", order_by="InvoiceRequestEvent.id", lazy="raise"
    )
    # The blue (issued) invoices; the red-letter ones that reverse them are `red_invoices`.
    invoices: Mapped[list["Invoice"]] = relationship(
        primaryjoin="and_(Invoice.request_id == InvoiceRequest.id, Invoice.blue_invoice_id.is_(None))",
        order_by="Invoice.position",
        lazy="raise",
        viewonly=True,
    )
    red_invoices: Mapped[list["Invoice"]] = relationship(
        primaryjoin="and_(Invoice.request_id == InvoiceRequest.id, Invoice.blue_invoice_id.is_not(None))",
        order_by="Invoice.position",
        lazy="raise",
        viewonly=True,
    )

    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'processing', 'issuing', 'issued', 'delivered', 'rejected', 'cancelled',"
            " 'reversing', 'reversed')",
            name="status",
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_invoice_request_account_id_created_at_id", "account_id", "created_at", "id"),
        Index(
            "ix_invoice_request_account_id_status_created_at_id", "account_id", "status", "created_at", "id"
        ),
        Index("ix_invoice_request_status_created_at_id", "status", "created_at", "id"),
        Index("ix_invoice_request_created_at_id", "created_at", "id"),
        # The finance desk's filters (GET /v1/invoice-requests, docs/PERFORMANCE.md).
        Index("ix_invoice_request_taxpayer_id_created_at_id", "taxpayer_id", "created_at", "id"),
        Index("ix_invoice_request_invoice_type_created_at_id", "invoice_type", "created_at", "id"),
        Index("ix_invoice_request_amount", "amount"),
        Index("ix_invoice_request_seller_id_created_at_id", "seller_id", "created_at", "id"),
        Index("ix_invoice_request_status_due_at", "status", "due_at"),
        # Title substrings: a trigram GIN index on PostgreSQL (pg_trgm serves ILIKE '%x%'); on
        # SQLite it is a plain index the substring search does not use (SQLite scans).
        Index(
            "ix_invoice_request_title_trgm",
            "title",
            postgresql_using="gin",
            postgresql_ops={"title": "gin_trgm_ops"},
        ),
    )


class InvoiceRequestItem(Base):
    __tablename__ = "invoice_request_item"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice_request.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    bill_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bill.id"), index=True)
    stored_value_card_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stored_value_card.id"), index=True
    )
    label: Mapped[str] = mapped_column(String(200))
    # Positive: invoiced by the request. Negative: settles an amount over-invoiced earlier.
    amount: Mapped[int] = mapped_column(BigInteger)
    # The item's tax terms when the request was made (they cannot change while it is active).
    seller_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seller.id"))
    tax_rate: Mapped[str] = mapped_column(String(4))
    tax_category_code: Mapped[str] = mapped_column(String(19))
    item_name: Mapped[str] = mapped_column(String(100))

    request: Mapped[InvoiceRequest] = relationship(back_populates="items", lazy="raise")

    __table_args__ = (
        CheckConstraint("kind IN ('bill', 'stored_value_card')", name="kind"),
        CheckConstraint(
            "(kind = 'bill' AND bill_id IS NOT NULL AND stored_value_card_id IS NULL)"
            " OR (kind = 'stored_value_card' AND stored_value_card_id IS NOT NULL AND bill_id IS NULL)",
            name="one_target",
        ),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        # One line per item per request: an item is either invoiced or settled by it, once.
        UniqueConstraint("request_id", "bill_id"),
        UniqueConstraint("request_id", "stored_value_card_id"),
    )

    @property
    def item_id(self) -> uuid.UUID:
        target = self.bill_id if self.kind == "bill" else self.stored_value_card_id
        assert target is not None
        return target


class InvoiceRequestEvent(Base):
    """One step of a request's timeline; append-only."""

    __tablename__ = "invoice_request_event"

    id: Mapped[int] = mapped_column(BigSerial, primary_key=True, autoincrement=True)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice_request.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    actor_role: Mapped[str] = mapped_column(String(16))
    # The operator's name (the key's `--name`) when the move was made; null for customers and the system.
    actor_name: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[InvoiceRequest] = relationship(back_populates="events", lazy="raise")


class Invoice(Base):
    """One issued invoice; a large request may be split across several. A red-letter invoice
    (红字发票) is a row too, naming the blue invoice it reverses, with every amount negated: its
    number lives among the blue ones, so one unique index keeps every number unique."""

    __tablename__ = "invoice"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice_request.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    # The sums of its lines (invoice_line), written with them when it was issued.
    amount_excluding_tax: Mapped[int] = mapped_column(BigInteger)
    tax_amount: Mapped[int] = mapped_column(BigInteger)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    file_url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set on a red-letter invoice: the blue invoice it reverses (at most one red per blue).
    blue_invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoice.id"), unique=True)

    __table_args__ = (
        CheckConstraint(
            "(blue_invoice_id IS NULL AND amount > 0) OR (blue_invoice_id IS NOT NULL AND amount < 0)",
            name="amount_sign",
        ),
        CheckConstraint("amount = amount_excluding_tax + tax_amount", name="totals"),
    )


class InvoiceLine(Base):
    """One line of an issued invoice: the draft's line as issuing cut it (a red-letter invoice's: its
    blue line negated); never changed afterwards."""

    __tablename__ = "invoice_line"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_name: Mapped[str] = mapped_column(String(100))
    tax_category_code: Mapped[str] = mapped_column(String(19))
    tax_rate: Mapped[str] = mapped_column(String(4))
    amount: Mapped[int] = mapped_column(BigInteger)
    amount_excluding_tax: Mapped[int] = mapped_column(BigInteger)
    tax_amount: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("invoice_id", "position"),
        CheckConstraint("amount = amount_excluding_tax + tax_amount", name="totals"),
    )


# INV-1 and inv-1 are one number to a reader; the exact unique constraint serves lookups by number.
Index("uq_invoice_number_lower", func.lower(Invoice.number), unique=True)


class InvoiceFile(Base):
    """One file of an invoice (pdf, ofd or xml): its metadata; the bytes are in a FileStorage."""

    __tablename__ = "invoice_file"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice.id"))
    format: Mapped[str] = mapped_column(String(8))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage: Mapped[str] = mapped_column(String(16))  # which FileStorage holds the bytes
    storage_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("invoice_id", "format"),
        CheckConstraint("format IN ('pdf', 'ofd', 'xml')", name="format"),
        CheckConstraint("size >= 0", name="size"),
    )
