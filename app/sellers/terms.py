"""The tax terms of an invoiceable item (a bill or a card): the rates, the code format, the defaults.

Rates are strings on the wire and in the database ("0.06"), never floats: the draft's arithmetic
(app/requests/draft.py) reads them as exact fractions.
"""

import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

from pydantic import StringConstraints

from app.core.validators import Text

# The VAT rates (and the levy rates of small-scale taxpayers) an invoice line may carry.
TaxRate = Literal["0.00", "0.01", "0.03", "0.05", "0.06", "0.09", "0.13"]
TAX_RATES: tuple[str, ...] = get_args(TaxRate)
TAX_RATE_CHECK = f"tax_rate IN ({', '.join(map(repr, TAX_RATES))})"
# The 税收分类编码: 19 ASCII digits.
TAX_CATEGORY_CODE_PATTERN = r"^[0-9]{19}$"
TaxCategoryCode = Annotated[
    str, StringConstraints(min_length=19, max_length=19, pattern=TAX_CATEGORY_CODE_PATTERN)
]
MAX_ITEM_NAME = 100
ItemName = Annotated[str, Text(1, MAX_ITEM_NAME)]


@dataclass(frozen=True, slots=True)
class TaxTerms:
    """What an item is invoiced as: by which seller, at which rate, under which code and name."""

    seller_id: uuid.UUID
    tax_rate: str
    tax_category_code: str
    item_name: str


def terms_columns(terms: TaxTerms) -> dict[str, Any]:
    """The four columns of an item's or a request line's tax terms."""
    return {
        "seller_id": terms.seller_id,
        "tax_rate": terms.tax_rate,
        "tax_category_code": terms.tax_category_code,
        "item_name": terms.item_name,
    }


@dataclass(frozen=True, slots=True)
class TermsIn:
    """Tax terms as a bill or card body gives them: None is "not given"."""

    seller_id: str | None = None
    tax_rate: str | None = None
    tax_category_code: str | None = None
    item_name: str | None = None
