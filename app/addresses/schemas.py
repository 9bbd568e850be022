"""Mailing address request/response models; formats here, rules in service.py."""

from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from app.core.clock import Timestamp
from app.core.ids import Id
from app.core.schemas import RequestModel, ResponseModel
from app.core.validators import BlankIsNull, Email, Omittable, Phone, Text, given

Recipient = Annotated[str, Text(1, 100)]
PostalAddress = Annotated[str, Text(1, 300)]
PostalCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$", max_length=6)]

MAX_CC_EMAILS = 5
_EITHER = "At least one of email (electronic invoices) and address (paper invoices)"


class _AddressFields(RequestModel):
    # Declared here for the field order; each subclass narrows them.
    recipient: Recipient | None = None
    phone: Phone | None = None
    email: Annotated[Email | None, BlankIsNull] = Field(
        default=None, description=_EITHER, examples=["invoices@acme.example"]
    )
    cc_emails: list[Email] | None = Field(
        default=None,
        max_length=MAX_CC_EMAILS,
        json_schema_extra={"uniqueItems": True},
        description="Up to 5 more addresses that get a copy of electronic invoices (null or [] for none)",
        examples=[["finance@acme.example"]],
    )
    address: Annotated[PostalAddress | None, BlankIsNull] = Field(
        default=None, description=_EITHER, examples=["1 Software Ave, Gulou District, Fuzhou"]
    )
    postal_code: Annotated[PostalCode | None, BlankIsNull] = Field(
        default=None, description="6 digits", examples=["350001"]
    )

    @field_validator("cc_emails")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("must not list an address twice")
        return value


def _email_or_address(schema: dict[str, Any]) -> None:
    """The document says what the service checks: at least one of email and address is given.

    As `if`/`then` (no email, then an address), not a top-level `anyOf`, which generated clients
    (openapi-python-client) turn into two partial body models."""
    schema["if"] = {"not": given(schema, "email")}
    schema["then"] = given(schema, "address")


class AddressCreate(_AddressFields):
    model_config = ConfigDict(json_schema_extra=_email_or_address)

    recipient: Recipient = Field(examples=["Li Lei"])
    phone: Phone = Field(examples=["13812345678"])
    is_default: bool = False


class AddressUpdate(_AddressFields):
    """Given fields replace; email, address and postal_code set to null are cleared."""

    # May be omitted but not null (so null is left out of the documented schema).
    recipient: Annotated[Recipient | None, Omittable] = Field(default=None, examples=["Li Lei"])
    phone: Annotated[Phone | None, Omittable] = Field(default=None, examples=["13812345678"])
    is_default: Annotated[bool | None, Omittable] = None

    @field_validator("recipient", "phone", "is_default", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class AddressOut(ResponseModel):
    @field_validator("cc_emails", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    id: Id
    recipient: str
    phone: str
    email: str | None
    cc_emails: list[str] = Field(description="Copies of electronic invoices go here too")
    address: str | None
    postal_code: str | None
    is_default: bool
    created_at: Timestamp
    updated_at: Timestamp
