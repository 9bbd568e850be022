"""Issuing through a tax platform (SPEC §8): the provider interface, the service's serials, and the
built-in sandbox platform. A real provider (a service provider's open API) implements
`TaxPlatformProvider`; docs/TAX_PLATFORM.md says how."""

from app.core.database import Database
from app.core.settings import Settings
from app.taxplatform.provider import (
    Accepted,
    BuyerUsage,
    FileFormat,
    Issued,
    MalformedAnswer,
    Pending,
    ProviderError,
    QueryResult,
    Refused,
    SerialReused,
    TaxPlatformProvider,
    TransientProviderError,
    UnknownSerial,
)
from app.taxplatform.sandbox import Fault, SandboxProvider
from app.taxplatform.serials import parse_serial, serial_for


def build_provider(settings: Settings, database: Database) -> TaxPlatformProvider | None:
    """The provider INVOICING_TAX_PLATFORM names; None for `manual` (finance types the numbers)."""
    if settings.tax_platform == "sandbox":
        return SandboxProvider(
            database, delay_seconds=settings.tax_sandbox_delay_seconds, font_path=settings.pdf_font_path
        )
    return None


__all__ = [
    "Accepted",
    "BuyerUsage",
    "Fault",
    "FileFormat",
    "Issued",
    "MalformedAnswer",
    "Pending",
    "ProviderError",
    "QueryResult",
    "Refused",
    "SandboxProvider",
    "SerialReused",
    "TaxPlatformProvider",
    "TransientProviderError",
    "UnknownSerial",
    "build_provider",
    "parse_serial",
    "serial_for",
]
