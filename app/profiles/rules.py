"""Pure rules about profiles and addresses, shared by profiles, the summary and requests."""

from typing import Literal, Protocol, get_args

# The invoice types, here only: schemas, the database's CHECK and the rules below read them.
# `digital_special` (81) and `digital_ordinary` (82) are the fully digitalized e-invoices (数电票).
InvoiceType = Literal[
    "vat_ordinary", "vat_special", "electronic_ordinary", "digital_special", "digital_ordinary"
]
INVOICE_TYPES: tuple[str, ...] = get_args(InvoiceType)
PAPER_TYPES = frozenset({"vat_ordinary", "vat_special"})  # posted; the others are emailed
ELECTRONIC_TYPES = frozenset(INVOICE_TYPES) - PAPER_TYPES
SPECIAL_TYPES = frozenset({"vat_special", "digital_special"})
DIGITAL_TYPES = frozenset({"digital_special", "digital_ordinary"})  # numbered with 20 digits
DIGITAL_NUMBER_DIGITS = 20
VAT_SPECIAL_FIELDS = ("bank_name", "bank_account", "registered_address", "registered_phone")


class ProfileLike(Protocol):
    invoice_type: str
    title: str
    taxpayer_id: str
    bank_name: str | None
    bank_account: str | None
    registered_address: str | None
    registered_phone: str | None


class CertificationLike(Protocol):
    enterprise_name: str
    taxpayer_id: str


class AddressLike(Protocol):
    email: str | None
    address: str | None


def missing_fields(profile: ProfileLike) -> list[str]:
    """Fields the profile's invoice type needs but lacks."""
    if profile.invoice_type != "vat_special":
        return []
    return [name for name in VAT_SPECIAL_FIELDS if not getattr(profile, name)]


def header_matches(profile: ProfileLike, certification: CertificationLike | None) -> bool:
    return (
        certification is not None
        and profile.title == certification.enterprise_name
        and profile.taxpayer_id == certification.taxpayer_id
    )


def is_usable(profile: ProfileLike, certification: CertificationLike | None) -> bool:
    return header_matches(profile, certification) and not missing_fields(profile)


def is_electronic(invoice_type: str) -> bool:
    return invoice_type in ELECTRONIC_TYPES


def address_serves(address: AddressLike, invoice_type: str) -> bool:
    """Electronic invoices go to an email; paper ones to a postal address."""
    return bool(address.email) if is_electronic(invoice_type) else bool(address.address)


def is_special(invoice_type: str) -> bool:
    """A special invoice (专票: `vat_special`, and any `*_special` type) lets the buyer deduct its
    input tax, so reversing one needs the buyer's agreement unless it says it has not used it."""
    return invoice_type.endswith("_special")
