"""Where invoice file bytes live, behind a small interface.

`DatabaseStorage` (the default) keeps them in the `file_blob` table, in the same transaction as
the file's metadata, so backups and replicas carry them. Another store (an object store, say)
implements the same three calls; `InvoiceFile.storage` records which one holds each file.
"""

from datetime import datetime
from typing import Protocol

from sqlalchemy import LargeBinary, String, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.core.database import Base, UTCDateTime


class FileBlob(Base):
    __tablename__ = "file_blob"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# A file's metadata and its bytes are read by separate statements (the bytes may one day live
# outside the database, and a read session holds no snapshot): a file replaced in between is
# looked up again, a few times at most (`files.read`, the delivery job).
READ_ATTEMPTS = 3


class FileStorage(Protocol):
    name: str

    async def save(self, session: AsyncSession, key: str, data: bytes) -> None: ...

    async def load(self, session: AsyncSession, key: str) -> bytes | None:
        """The bytes stored under `key`; None when there are none (any more): the file was
        replaced or removed after its metadata was read."""
        ...

    async def delete(self, session: AsyncSession, key: str) -> None: ...


class DatabaseStorage:
    name = "database"

    async def save(self, session: AsyncSession, key: str, data: bytes) -> None:
        connection = await session.connection()
        await connection.execute(insert(FileBlob).values(key=key, data=data, created_at=utcnow()))

    async def load(self, session: AsyncSession, key: str) -> bytes | None:
        connection = await session.connection()
        result = await connection.execute(select(FileBlob.data).where(FileBlob.key == key))
        data = result.scalar_one_or_none()
        return None if data is None else bytes(data)

    async def delete(self, session: AsyncSession, key: str) -> None:
        connection = await session.connection()
        await connection.execute(delete(FileBlob).where(FileBlob.key == key))


STORAGES: dict[str, FileStorage] = {DatabaseStorage.name: DatabaseStorage()}
DEFAULT_STORAGE: FileStorage = STORAGES[DatabaseStorage.name]
