"""Invoiceable-summary response models."""

from pydantic import Field

from app.core.ids import Id
from app.core.money import MoneyOut
from app.core.schemas import ResponseModel
from app.invoiceable.blockers import Blocker


class ItemTotals(ResponseModel):
    count: int = Field(ge=0, description="Items with something left to invoice")
    amount: MoneyOut = Field(description="What is left to invoice on them")


class SellerTotals(ResponseModel):
    seller_id: Id
    seller_name: str
    invoiceable_amount: MoneyOut = Field(
        description="max(0, what is left to invoice on the seller's items - their invoice deficit)"
    )
    invoice_deficit: MoneyOut = Field(description="Over-invoiced on the seller's items")


class InvoiceableSummaryOut(ResponseModel):
    invoiceable_amount: MoneyOut = Field(
        description="max(0, bills.amount + stored_value_cards.amount - invoice_deficit): what a request "
        "for every invoiceable item would invoice now"
    )
    bills: ItemTotals
    stored_value_cards: ItemTotals
    invoice_deficit: MoneyOut = Field(
        description="Invoiced beyond what was finally paid; the next request settles it first"
    )
    cash_balance: MoneyOut
    can_request: bool = Field(description="True when there are no blockers")
    blockers: list[Blocker] = Field(
        max_length=6, description="Why an invoice request would be refused now, in the order checked"
    )
    by_seller: list[SellerTotals] = Field(
        description="Per seller (a request holds one seller's items; the deficit is settled per seller, "
        "rate and tax category code), the sellers with something to invoice or a deficit"
    )
