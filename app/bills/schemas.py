"""Bill request/response models."""

from typing import Literal

from pydantic import Field

from app.core.clock import Timestamp
from app.core.ids import Id
from app.core.money import MoneyOut, NonNegativeMoneyIn
from app.core.schemas import RequestModel, ResponseModel
from app.sellers.schemas import TaxTermsFields, TaxTermsOut

# A calendar month, YYYY-MM with month 01-12; ASCII digits only (\d would admit other scripts).
PERIOD_PATTERN = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"


class BillUpsert(TaxTermsFields):
    """Tax terms left out keep the bill's (a new bill's: the defaults)."""

    total_amount: NonNegativeMoneyIn = Field(
        description="Must equal cash_amount + voucher_amount + stored_value_card_amount",
        examples=["1024.50"],
    )
    cash_amount: NonNegativeMoneyIn = Field(
        description="Paid in cash: the invoiceable part", examples=["900.00"]
    )
    voucher_amount: NonNegativeMoneyIn = Field(
        description="Deducted from vouchers; never invoiced", examples=["100.00"]
    )
    stored_value_card_amount: NonNegativeMoneyIn = Field(
        description="Deducted from stored-value cards; invoiced when the card was bought", examples=["24.50"]
    )


class BillOut(TaxTermsOut):
    id: Id
    period: str = Field(examples=["2026-10"])
    total_amount: MoneyOut
    cash_amount: MoneyOut
    voucher_amount: MoneyOut
    stored_value_card_amount: MoneyOut
    requested_amount: MoneyOut = Field(
        description="The sum of this bill's lines in active invoice requests (negative lines too)"
    )
    invoiceable_amount: MoneyOut = Field(description="max(0, cash_amount - requested_amount)")
    over_invoiced_amount: MoneyOut = Field(
        description="max(0, requested_amount - cash_amount): invoiced beyond what was finally paid"
    )
    created_at: Timestamp
    updated_at: Timestamp


class BatchBillIn(BillUpsert):
    account_id: str = Field(
        min_length=1,
        max_length=64,
        json_schema_extra={"format": "uuid"},
        description="The account (an unknown one fails this bill alone: `not_found`)",
    )
    period: str = Field(min_length=7, max_length=7, pattern=PERIOD_PATTERN, examples=["2026-10"])


class BillBatch(RequestModel):
    bills: list[BatchBillIn] = Field(min_length=1, max_length=1000, description="At most 1,000 bills")


class BatchFieldError(ResponseModel):
    field: str
    message: str


class BatchBillResult(ResponseModel):
    account_id: str
    period: str
    ok: bool
    status: Literal["created", "updated", "unchanged"] | None = Field(
        default=None, description="When ok: what the call did to the bill"
    )
    id: Id | None = Field(default=None, description="When ok: the bill's id")
    code: str | None = Field(
        default=None, description="When not ok: the problem code a single PUT would answer"
    )
    detail: str | None = None
    errors: list[BatchFieldError] | None = None


class BillBatchOut(ResponseModel):
    results: list[BatchBillResult] = Field(description="One per bill, in the order sent")
