"""Account and API-key request/response models."""

from typing import Annotated, Literal

from pydantic import Field

from app.core.clock import Timestamp
from app.core.ids import Id
from app.core.money import MoneyIn, MoneyOut
from app.core.schemas import RequestModel, ResponseModel
from app.core.validators import Text

Name = Annotated[str, Text(1, 200)]
DEFICIT_DESCRIPTION = (
    "Invoiced beyond what was finally paid (欠票): the sum of the account's bills' and cards' "
    "over_invoiced_amount; the next invoice request settles it"
)


class AccountCreate(RequestModel):
    name: Name = Field(examples=["Acme Cloud Ltd."])
    external_id: Annotated[str, Text(1, 200)] | None = Field(
        default=None, description="The billing engine's own id; unique", examples=["crm-10086"]
    )


class CashBalanceSet(RequestModel):
    cash_balance: MoneyIn = Field(description="May be negative (arrears)", examples=["1024.50"])


class ApiKeyCreate(RequestModel):
    role: Literal["customer"] = Field(examples=["customer"])


class AccountOut(ResponseModel):
    id: Id
    name: str
    external_id: str | None
    cash_balance: MoneyOut
    invoice_deficit: MoneyOut = Field(description=DEFICIT_DESCRIPTION)
    created_at: Timestamp


class ApiKeyOut(ResponseModel):
    id: Id
    key: str = Field(description="Shown once; only its hash is stored")
    prefix: str
    role: str
    created_at: Timestamp


class ApiKeyInfoOut(ResponseModel):
    """A key as listed: never the secret (only its hash is stored)."""

    id: Id
    prefix: str = Field(
        description="The key's first characters, to tell keys apart", examples=["ik_Xk2pQ9vA"]
    )
    role: str
    created_at: Timestamp
    last_used_at: Timestamp | None = Field(
        description="When the key was last accepted, to within a minute; null if never"
    )
    revoked_at: Timestamp | None = Field(description="Null while the key is valid")


class CallerOut(ResponseModel):
    """The key a request was made with: what a client needs to know which pages to offer."""

    id: Id = Field(description="The key's id")
    role: Literal["customer", "billing", "finance"]
    account_id: Id | None = Field(description="The customer's account; null for staff keys")
