"""Invoice files: finance uploads a pdf, ofd or xml per invoice; the request's customer and finance
download them. The bytes go to a FileStorage (the database by default, app/requests/storage.py)."""

import hashlib
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import AuthContext, Role
from app.core.clock import utcnow
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.requests.filetypes import ACCEPTED_TYPES, MEDIA_TYPE, WHAT, FileFormat, is_format, media_type_of
from app.requests.lifecycle import InvalidTransition
from app.requests.models import Invoice, InvoiceFile, InvoiceRequest
from app.requests.queries import get_request
from app.requests.schemas import InvoiceRequestOut
from app.requests.scope import request_scope, scoped
from app.requests.states import Move, Status, may_make
from app.requests.storage import DEFAULT_STORAGE, READ_ATTEMPTS, STORAGES


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415
    detail = "The Content-Type does not match the file format."


class FileTooLarge(DomainError):
    code = "payload_too_large"
    status = 413
    detail = "The file is too large."


@dataclass(frozen=True, slots=True)
class StoredFile:
    number: str
    format: FileFormat
    content_type: str
    size: int
    sha256: str
    storage: str
    storage_key: str

    @property
    def etag(self) -> str:
        return f'"{self.sha256}"'

    @property
    def filename(self) -> str:
        return f"{self.number}.{self.format.value}"


async def upload(
    session: AsyncSession,
    auth: AuthContext,
    request_id: uuid.UUID,
    number: str,
    file_format: FileFormat,
    content_type: str | None,
    body: bytes,
    *,
    max_bytes: int,
) -> InvoiceRequestOut:
    if media_type_of(content_type) not in ACCEPTED_TYPES[file_format]:
        accepted = " or ".join(sorted(ACCEPTED_TYPES[file_format]))
        raise UnsupportedMediaType(f"A {file_format.value} file is sent as {accepted}.")
    if auth.role is not Role.finance:  # only finance uploads (the route admits no one else)
        raise NotFound("No such invoice request.")
    # The request row is locked: a concurrent reversal or a second upload waits for this one.
    scope = request_scope(auth)
    stmt = scope.apply(
        select(InvoiceRequest.status, InvoiceRequest.invoice_type).where(InvoiceRequest.id == request_id)
    )
    found = (await session.execute(stmt.with_for_update(), scope.values)).one_or_none()
    if found is None:
        raise NotFound("No such invoice request.")
    status, invoice_type = found
    invoice_id = (
        await session.execute(
            select(Invoice.id).where(Invoice.request_id == request_id, Invoice.number == number)
        )
    ).scalar_one_or_none()
    if not may_make(Move.upload_file, Status(status), auth.role, invoice_type):
        raise InvalidTransition(
            f"Files can be uploaded only while the request is issued or delivered, not {status}.",
            current_status=status,
        )
    if invoice_id is None:
        raise NotFound(f"The request has no invoice {number}.")
    if len(body) > max_bytes:
        raise FileTooLarge(f"The file exceeds {max_bytes} bytes.")
    if not is_format(body, file_format):
        raise ValidationFailed("body", f"is not {WHAT[file_format]}")
    await store(session, invoice_id, file_format, body)
    await session.flush()
    return await get_request(session, auth, request_id)


async def store(session: AsyncSession, invoice_id: uuid.UUID, file_format: FileFormat, body: bytes) -> None:
    """Keep `body` as the invoice's file of `file_format` (an upload, or what the tax platform issued)."""
    digest = hashlib.sha256(body).hexdigest()
    now = utcnow()
    existing = (
        await session.execute(
            select(InvoiceFile).where(InvoiceFile.invoice_id == invoice_id, InvoiceFile.format == file_format)
        )
    ).scalar_one_or_none()
    if existing is not None and existing.sha256 == digest and existing.size == len(body):
        return  # the same file again: nothing changes (PUT is idempotent)
    key = f"invoice-files/{uuid.uuid4()}"
    await DEFAULT_STORAGE.save(session, key, body)
    values = {
        "content_type": MEDIA_TYPE[file_format],
        "size": len(body),
        "sha256": digest,
        "storage": DEFAULT_STORAGE.name,
        "storage_key": key,
        "updated_at": now,
    }
    if existing is None:
        session.add(
            InvoiceFile(
                id=uuid.uuid4(), invoice_id=invoice_id, format=file_format.value, created_at=now, **values
            )
        )
        return
    await STORAGES[existing.storage].delete(session, existing.storage_key)
    await session.execute(
        update(InvoiceFile)
        .where(InvoiceFile.id == existing.id)
        .values(values)
        .execution_options(synchronize_session=False)
    )


@lru_cache(maxsize=4)
def _file_statement(customer: bool) -> Select[*tuple[Any, ...]]:
    stmt = (
        select(
            InvoiceFile.content_type,
            InvoiceFile.size,
            InvoiceFile.sha256,
            InvoiceFile.storage,
            InvoiceFile.storage_key,
        )
        .join(Invoice, Invoice.id == InvoiceFile.invoice_id)
        .join(InvoiceRequest, InvoiceRequest.id == Invoice.request_id)
        .where(
            InvoiceRequest.id == bindparam("request_id"),
            Invoice.number == bindparam("number"),
            InvoiceFile.format == bindparam("format"),
        )
    )
    return scoped(stmt, customer=customer)


async def find(
    session: AsyncSession, auth: AuthContext, request_id: uuid.UUID, number: str, file_format: FileFormat
) -> StoredFile:
    """A file of one of the caller's requests (finance: any request); anything else is not found."""
    try:
        scope = request_scope(auth)
    except NotFound:
        raise NotFound("No such file.") from None
    values = {**scope.values, "request_id": request_id, "number": number, "format": file_format.value}
    row = (await session.execute(_file_statement(scope.customer), values)).one_or_none()
    if row is None:
        raise NotFound("No such file.")
    return StoredFile(
        number, file_format, row.content_type, row.size, row.sha256, row.storage, row.storage_key
    )


async def read(
    session: AsyncSession, auth: AuthContext, request_id: uuid.UUID, stored: StoredFile
) -> tuple[StoredFile, bytes]:
    """The current version of the file `stored` describes, and its bytes (404 if it went away)."""
    for _attempt in range(READ_ATTEMPTS):
        data = await STORAGES[stored.storage].load(session, stored.storage_key)
        if data is not None:
            return stored, data
        stored = await find(session, auth, request_id, stored.number, stored.format)
    raise NotFound("No such file.")


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match (weak comparison): `*` or any listed tag equal to ours."""
    if if_none_match is None:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in tags)
