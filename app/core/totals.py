"""The three totals of an invoice, summed from its lines: one definition for the draft's invoices
(app/requests/draft.py), the printed document (app/documents) and what a tax platform answers
(app/taxplatform)."""

from collections.abc import Sequence
from typing import Protocol


class TaxedAmounts(Protocol):
    """A line's tax-inclusive amount, the amount excluding tax and the tax, in fen."""

    @property
    def amount(self) -> int: ...

    @property
    def amount_excluding_tax(self) -> int: ...

    @property
    def tax_amount(self) -> int: ...


class TaxedLineFields(TaxedAmounts, Protocol):
    """A line as invoiced: its item name, tax category code and rate ("0.06"), and its amounts."""

    @property
    def item_name(self) -> str: ...

    @property
    def tax_category_code(self) -> str: ...

    @property
    def tax_rate(self) -> str: ...


class LineTotals:
    """A base for (slotted, frozen) dataclasses with `lines`: their totals in fen."""

    __slots__ = ()
    lines: Sequence[TaxedAmounts]

    @property
    def amount(self) -> int:
        """价税合计: the tax-inclusive total."""
        return sum(line.amount for line in self.lines)

    @property
    def amount_excluding_tax(self) -> int:
        return sum(line.amount_excluding_tax for line in self.lines)

    @property
    def tax_amount(self) -> int:
        return sum(line.tax_amount for line in self.lines)
