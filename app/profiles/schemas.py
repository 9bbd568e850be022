"""Invoice profile request/response models; formats here, rules in service.py."""

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from app.core.clock import Timestamp
from app.core.ids import Id
from app.core.schemas import RequestModel, ResponseModel
from app.core.validators import BlankIsNull, Omittable, Phone, TaxpayerId, Text, given
from app.profiles.rules import VAT_SPECIAL_FIELDS, InvoiceType

_BANK_ACCOUNT = re.compile(r"[0-9]{6,32}")


def _strip_spaces(value: object) -> object:
    return value.replace(" ", "") if isinstance(value, str) else value


def _bank_account(value: str) -> str:
    if not _BANK_ACCOUNT.fullmatch(value):
        raise ValueError("must be 6-32 digits (spaces are ignored)")
    return value


Title = Annotated[str, Text(2, 100)]
BankName = Annotated[str, Text(1, 100)]
BankAccount = Annotated[
    str,
    StringConstraints(max_length=64),
    BeforeValidator(_strip_spaces),
    AfterValidator(_bank_account),
    WithJsonSchema({"type": "string", "pattern": "^ *([0-9] *){6,32}$"}, mode="validation"),
]
RegisteredAddress = Annotated[str, Text(1, 200)]

_HEADER_HELP = "Must equal the certification; omitted → copied from it"
_BLANK_HELP = "An empty string or null means none"


class _ProfileFields(RequestModel):
    title: Title | None = Field(default=None, description=_HEADER_HELP, examples=["Acme Cloud Ltd."])
    taxpayer_id: TaxpayerId | None = Field(default=None, description=_HEADER_HELP + "; upper-cased")
    bank_name: Annotated[BankName | None, BlankIsNull] = Field(
        default=None, description=_BLANK_HELP, examples=["Bank of China, Fuzhou Branch"]
    )
    bank_account: Annotated[BankAccount | None, BlankIsNull] = Field(
        default=None, description="6-32 digits; spaces are removed", examples=["6217 0000 1234 5678"]
    )
    registered_address: Annotated[RegisteredAddress | None, BlankIsNull] = Field(
        default=None, description=_BLANK_HELP, examples=["1 Software Ave, Fuzhou"]
    )
    registered_phone: Annotated[Phone | None, BlankIsNull] = Field(
        default=None, description="Same rule as a mailing address phone", examples=["0591-87654321"]
    )


def _vat_special_needs_its_fields(schema: dict[str, Any]) -> None:
    """The document says what the service checks: `vat_special` needs the four fields given."""
    schema["if"] = {"properties": {"invoice_type": {"const": "vat_special"}}, "required": ["invoice_type"]}
    schema["then"] = given(schema, *VAT_SPECIAL_FIELDS)


class ProfileCreate(_ProfileFields):
    """`vat_special` needs bank_name, bank_account, registered_address and registered_phone."""

    model_config = ConfigDict(json_schema_extra=_vat_special_needs_its_fields)

    invoice_type: InvoiceType
    is_default: bool = False


class ProfileUpdate(_ProfileFields):
    """Given fields replace; optional fields set to null are cleared."""

    # May be omitted but not null (so null is left out of the documented schema).
    title: Annotated[Title | None, Omittable] = Field(default=None, description=_HEADER_HELP)
    taxpayer_id: Annotated[TaxpayerId | None, Omittable] = Field(default=None, description=_HEADER_HELP)
    invoice_type: Annotated[InvoiceType | None, Omittable] = None
    is_default: Annotated[bool | None, Omittable] = None

    @field_validator("invoice_type", "title", "taxpayer_id", "is_default", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class ProfileOut(ResponseModel):
    id: Id
    invoice_type: InvoiceType
    title: str
    taxpayer_id: str
    bank_name: str | None
    bank_account: str | None
    registered_address: str | None
    registered_phone: str | None
    is_default: bool
    usable: bool = Field(
        description="The header matches the current certification and the type's required fields are present"
    )
    created_at: Timestamp
    updated_at: Timestamp
