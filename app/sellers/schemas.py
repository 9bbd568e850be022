"""Seller request/response models."""

from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from app.core.clock import Timestamp
from app.core.ids import Id
from app.core.money import MoneyOut, PositiveMoneyIn
from app.core.schemas import RequestModel, ResponseModel
from app.core.validators import Omittable, Phone, TaxpayerId, Text
from app.profiles.schemas import BankAccount, BankName, RegisteredAddress
from app.sellers.terms import ItemName, TaxCategoryCode, TaxRate, TermsIn

SellerName = Annotated[str, Text(2, 100)]


class SellerCreate(RequestModel):
    name: SellerName = Field(examples=["杭州示例云计算有限公司"])
    taxpayer_id: TaxpayerId = Field(description="The seller's Unified Social Credit Code; upper-cased")
    address: RegisteredAddress = Field(examples=["浙江省杭州市西湖区文三路1号"])
    phone: Phone = Field(examples=["0571-88888888"])
    bank_name: BankName = Field(examples=["中国工商银行杭州文三路支行"])
    bank_account: BankAccount = Field(examples=["1202020000000000001"])
    max_invoice_amount: PositiveMoneyIn | None = Field(
        default=None,
        description="The largest tax-inclusive amount one invoice may carry; null: no limit. The "
        "draft fills invoices up to it, and issuing refuses an invoice above it",
        examples=["100000.00"],
    )
    is_default: bool = Field(
        default=False, description="Make this the default seller (the previous default stops being it)"
    )


class SellerUpdate(RequestModel):
    """Given fields replace; `max_invoice_amount: null` removes the limit."""

    name: Annotated[SellerName | None, Omittable] = None
    taxpayer_id: Annotated[TaxpayerId | None, Omittable] = None
    address: Annotated[RegisteredAddress | None, Omittable] = None
    phone: Annotated[Phone | None, Omittable] = None
    bank_name: Annotated[BankName | None, Omittable] = None
    bank_account: Annotated[BankAccount | None, Omittable] = None
    max_invoice_amount: PositiveMoneyIn | None = None
    is_default: Annotated[bool | None, Omittable] = Field(
        default=None,
        description="true makes this the default seller; there is always exactly one, so false on the "
        "default is refused (make another seller the default instead)",
    )

    @field_validator(
        "name", "taxpayer_id", "address", "phone", "bank_name", "bank_account", "is_default", mode="before"
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class SellerOut(ResponseModel):
    id: Id
    name: str
    taxpayer_id: str
    address: str
    phone: str
    bank_name: str
    bank_account: str
    max_invoice_amount: MoneyOut | None = Field(description="null: no limit per invoice")
    is_default: bool
    created_at: Timestamp
    updated_at: Timestamp


class TaxTermsFields(RequestModel):
    """The optional tax terms of a bill or card body (app/sellers/terms.py)."""

    seller_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="The seller (GET /v1/sellers) that invoices the item; default: the default seller. "
        "An unknown seller is 404",
        json_schema_extra={"format": "uuid"},
    )
    tax_rate: TaxRate | None = Field(
        default=None,
        description="The VAT rate, as a string; default INVOICING_DEFAULT_TAX_RATE",
        examples=["0.06"],
    )
    tax_category_code: TaxCategoryCode | None = Field(
        default=None,
        description="The 19-digit tax category code (税收分类编码); "
        "default INVOICING_DEFAULT_TAX_CATEGORY_CODE",
        examples=["3040201000000000000"],
    )
    item_name: ItemName | None = Field(
        default=None,
        description="The item name on invoice lines; default INVOICING_DEFAULT_ITEM_NAME",
        examples=["*信息技术服务*云服务费"],
    )

    def terms(self) -> TermsIn:
        return TermsIn(
            seller_id=self.seller_id,
            tax_rate=self.tax_rate,
            tax_category_code=self.tax_category_code,
            item_name=self.item_name,
        )


class TaxTermsOut(ResponseModel):
    seller_id: Id = Field(description="The seller that invoices the item")
    tax_rate: TaxRate
    tax_category_code: str = Field(description="The 19-digit tax category code (税收分类编码)")
    item_name: str = Field(description="The item name on invoice lines")
