"""The tax-platform provider interface: submit an invoice under the service's own serial, query it,
issue a red-letter invoice. What a real provider plug-in implements (docs/TAX_PLATFORM.md)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

from app.core.totals import LineTotals
from app.documents import DocumentLine, InvoiceDocument


class FileFormat(StrEnum):
    """The formats a provider hands back; the same names as the invoice files of SPEC §3."""

    pdf = "pdf"
    ofd = "ofd"
    xml = "xml"


@dataclass(frozen=True, slots=True)
class Accepted:
    """The platform took the submission; its outcome comes from `query(serial)`."""

    serial: str


@dataclass(frozen=True, slots=True)
class Pending:
    """Still being issued (诺诺 status 20 开票中, 21 签章中): ask again later."""

    serial: str


@dataclass(frozen=True, slots=True)
class Issued(LineTotals):
    """Issued: the number and time the platform gave it, the lines as issued (the platform's, which
    a caller compares with what it sent) and the files (at least `pdf`; `xml`/`ofd` when offered)."""

    serial: str
    number: str
    issued_at: datetime
    lines: tuple[DocumentLine, ...]
    files: Mapping[FileFormat, bytes] = field(default_factory=dict)
    # For a red-letter invoice: the number of the blue invoice it reverses.
    blue_number: str | None = None


@dataclass(frozen=True, slots=True)
class Refused:
    """A final no for this serial (quota exhausted, invalid buyer, blue invoice already reversed):
    `code` is stable and machine-readable (snake_case here, the provider's own code in `message`
    or mapped), `message` is for finance. Retrying the same serial will not change it."""

    serial: str
    code: str
    message: str


QueryResult = Pending | Issued | Refused
# What the buyer has done with a blue invoice (SPEC §7): nothing, used it for input-tax deduction
# (用途确认), or booked it (入账确认). Anything but `none` means a red letter needs the buyer's consent.
BuyerUsage = Literal["none", "deducted", "booked"]


class ProviderError(Exception):
    """Base of what a provider raises instead of answering."""


class TransientProviderError(ProviderError):
    """No answer this time — a timeout, a connection reset, a 5xx, a rate limit, the platform's
    "busy" code, or an answer that could not be read. The submission may or may not have reached the
    platform: retry later **with the same serial**, which is safe because the serial is idempotent.
    `retry_after` (seconds) when the platform said how long to wait."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MalformedAnswer(TransientProviderError):
    """The platform answered something this plug-in cannot read (bad JSON, missing fields, amounts
    that do not add up). Transient, so it is retried; persistent ones exhaust the retries and show
    on the request."""


class UnknownSerial(ProviderError):
    """`query` of a serial the platform never recorded: the submission was lost before it arrived
    (e.g. the worker died before `submit` returned). Submitting it again is safe."""

    def __init__(self, serial: str) -> None:
        super().__init__(f"the platform has no submission with serial {serial!r}")
        self.serial = serial


class SerialReused(ProviderError):
    """`submit` or `red_letter` with a serial already used for a *different* document: a bug in the
    caller (serials are derived from the request and the invoice's position), never retried."""

    def __init__(self, serial: str) -> None:
        super().__init__(f"serial {serial!r} was already submitted with another document")
        self.serial = serial


@runtime_checkable
class TaxPlatformProvider(Protocol):
    """One tax platform. Every method is idempotent by `serial`: submitting a serial again returns
    `Accepted` and issues nothing new, so the caller may retry after any failure; the outcome is
    read with `query(serial)`, never inferred from `submit`.

    - `submit(serial, document)` a blue invoice (`document.number` and `issued_at` are None; the
      platform assigns both). → `Accepted`, or `Refused` when the platform checks and refuses it at
      once. Raises `TransientProviderError` (retry) or `SerialReused` (bug).
    - `query(serial)` → `Pending`, `Issued` or `Refused`. Raises `TransientProviderError` or
      `UnknownSerial` (submit again).
    - `red_letter(serial, blue_number, document)` a red-letter invoice reversing the blue invoice
      `blue_number` in full: `document` mirrors the blue lines with every amount negated. Same
      answers as `submit`; its outcome is also read with `query(serial)`.
    - `buyer_usage(seller_taxpayer_id, number)` what the buyer did with an issued blue invoice,
      which decides whether a reversal needs the buyer's consent. Raises `TransientProviderError`,
      or `UnknownSerial`-like `LookupError` for a number the platform did not issue.
    """

    name: str

    async def submit(self, serial: str, document: InvoiceDocument) -> Accepted | Refused: ...

    async def query(self, serial: str) -> QueryResult: ...

    async def red_letter(
        self, serial: str, blue_number: str, document: InvoiceDocument
    ) -> Accepted | Refused: ...

    async def buyer_usage(self, seller_taxpayer_id: str, number: str) -> BuyerUsage: ...
