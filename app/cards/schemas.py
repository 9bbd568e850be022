"""Stored-value card request/response models."""

from typing import Annotated

from pydantic import Field

from app.core.clock import Timestamp, TimestampIn
from app.core.ids import Id
from app.core.money import MoneyOut, NonNegativeMoneyIn, PositiveMoneyIn
from app.core.schemas import RequestModel
from app.core.validators import Text
from app.sellers.schemas import TaxTermsFields, TaxTermsOut

CardNo = Annotated[str, Text(1, 64)]


class CardCreate(TaxTermsFields):
    card_no: CardNo = Field(description="Unique per account", examples=["SVC-0001"])
    face_value: NonNegativeMoneyIn = Field(examples=["1000.00"])
    paid_amount: NonNegativeMoneyIn = Field(
        description="What the customer paid: the card is invoiced at this amount", examples=["950.00"]
    )
    purchased_at: TimestampIn


class CardRefundCreate(RequestModel):
    amount: PositiveMoneyIn = Field(
        description="Refunded to the customer; at most paid_amount - refunded_amount", examples=["200.00"]
    )
    reason: Annotated[str, Text(1, 500, single_line=False)] | None = Field(
        default=None, examples=["Unused balance refunded on request"]
    )


class CardOut(TaxTermsOut):
    id: Id
    card_no: str
    face_value: MoneyOut
    paid_amount: MoneyOut
    refunded_amount: MoneyOut = Field(description="Refunded to the customer so far")
    purchased_at: Timestamp
    requested_amount: MoneyOut = Field(
        description="The sum of this card's lines in active invoice requests (negative lines too)"
    )
    invoiceable_amount: MoneyOut = Field(
        description="max(0, paid_amount - refunded_amount - requested_amount)"
    )
    over_invoiced_amount: MoneyOut = Field(
        description="max(0, requested_amount - (paid_amount - refunded_amount)): invoiced beyond "
        "what the customer finally paid"
    )
    created_at: Timestamp
