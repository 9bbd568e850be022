"""Stored-value card request/response models."""

from typing import Annotated

from pydantic import Field

from app.core.clock import Timestamp, TimestampIn
from app.core.ids import Id
from app.core.money import MoneyOut, NonNegativeMoneyIn
from app.core.schemas import RequestModel, ResponseModel
from app.core.validators import Text

CardNo = Annotated[str, Text(1, 64)]


class CardCreate(RequestModel):
    card_no: CardNo = Field(description="Unique per account", examples=["SVC-0001"])
    face_value: NonNegativeMoneyIn = Field(examples=["1000.00"])
    paid_amount: NonNegativeMoneyIn = Field(
        description="What the customer paid: the card is invoiced at this amount", examples=["950.00"]
    )
    purchased_at: TimestampIn


class CardOut(ResponseModel):
    id: Id
    card_no: str
    face_value: MoneyOut
    paid_amount: MoneyOut
    purchased_at: Timestamp
    requested_amount: MoneyOut = Field(description="Already in active invoice requests")
    invoiceable_amount: MoneyOut = Field(description="paid_amount - requested_amount")
    created_at: Timestamp
