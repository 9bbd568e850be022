"""The customer's own account view."""

from typing import Literal

from pydantic import Field

from app.accounts.schemas import DEFICIT_DESCRIPTION
from app.core.ids import Id
from app.core.money import MoneyOut
from app.core.schemas import ResponseModel


class MyAccountOut(ResponseModel):
    id: Id
    name: str
    cash_balance: MoneyOut
    certification_status: Literal["uncertified", "certified"]
    invoice_deficit: MoneyOut = Field(description=DEFICIT_DESCRIPTION)
