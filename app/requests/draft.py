"""The invoices a request will be issued as: lines, tax and splitting, in integer fen (价税分离).

Pure functions, no database: the request's response (its `draft`), issuing (which cuts the draft
at the amounts finance gives) and the PDF preview all read them.

1. `group`: the request's lines (positive ones and the negative ones that settle a deficit) summed
   by (item_name, tax_category_code, tax_rate), in the order of first appearance. A group whose sum
   is not positive (a settled deficit under another item name) is taken off the positive groups of
   the same code and rate, in order (then off any, should none be left): an invoice line is never
   negative, and every sum is kept.
2. `fill`: where the seller has a `max_invoice_amount`, invoices are filled in order; `cut` puts a
   line that does not fit in what is left of the current invoice there and continues it on the
   next.
3. `tax_of`: tax per line, `round_half_up(amount * rate / (1 + rate))`, in exact fractions (rates
   are strings, never floats); `amount_excluding_tax = amount - tax`. An invoice's figures are the
   sums of its lines: a tax is never computed on a total.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from app.core.totals import LineTotals

# As many invoices as one issue call takes (app/requests/schemas.py MAX_INVOICES): a request that
# would need more is refused at creation (`invoices_needed`).
MAX_DRAFT_INVOICES = 100


class TooManyInvoices(ValueError):
    def __init__(self, needed: int) -> None:
        super().__init__(f"{needed} invoices needed; at most {MAX_DRAFT_INVOICES}")
        self.needed = needed


def invoices_needed(total: int, limit: int | None) -> int:
    """How many invoices `fill` splits `total` into."""
    return 1 if limit is None else -(-total // limit)


@dataclass(frozen=True, slots=True)
class Line:
    """A tax-inclusive amount (fen) of one item name, code and rate."""

    item_name: str
    tax_category_code: str
    tax_rate: str  # "0.06"
    amount: int

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.item_name, self.tax_category_code, self.tax_rate)


@dataclass(frozen=True, slots=True)
class TaxedLine:
    item_name: str
    tax_category_code: str
    tax_rate: str
    amount: int
    amount_excluding_tax: int
    tax_amount: int


@dataclass(frozen=True, slots=True)
class Invoice(LineTotals):
    lines: tuple[TaxedLine, ...]


def tax_of(amount: int, rate: str) -> int:
    """`round_half_up(amount * rate / (1 + rate))` in fen, exactly (half away from zero)."""
    fraction = Fraction(rate)
    exact = Fraction(amount) * fraction / (1 + fraction)
    magnitude = int(abs(exact) + Fraction(1, 2))  # int() truncates a non-negative value: floor
    return magnitude if exact >= 0 else -magnitude


def taxed(line: Line) -> TaxedLine:
    tax = tax_of(line.amount, line.tax_rate)
    return TaxedLine(
        item_name=line.item_name,
        tax_category_code=line.tax_category_code,
        tax_rate=line.tax_rate,
        amount=line.amount,
        amount_excluding_tax=line.amount - tax,
        tax_amount=tax,
    )


def group(lines: Iterable[Line]) -> list[Line]:
    """The request's lines summed by (item_name, code, rate), in order of first appearance, every
    group positive (see the module's rule 1). Their sum is the lines' sum; it must be positive."""
    sums: dict[tuple[str, str, str], int] = {}
    for line in lines:
        sums[line.key] = sums.get(line.key, 0) + line.amount
    positive = {key: amount for key, amount in sums.items() if amount > 0}
    owed = [(key, -amount) for key, amount in sums.items() if amount <= 0]
    for (_, code, rate), debt in owed:
        same = [key for key in positive if key[1:] == (code, rate)]
        for key in [*same, *(key for key in positive if key not in same)]:
            if debt == 0:
                break
            taken = min(debt, positive[key])
            positive[key] -= taken
            debt -= taken
        if debt:
            raise ValueError("the lines do not add up to a positive amount")
    return [Line(*key, amount) for key, amount in positive.items() if amount > 0]


def fill(total: int, limit: int | None) -> list[int]:
    """The amounts of the invoices `total` is split into: as many full ones of `limit` as it takes,
    then the rest (one invoice of `total` without a limit)."""
    if total <= 0:
        raise ValueError("an invoice amount must be positive")
    if limit is None or total <= limit:
        return [total]
    if invoices_needed(total, limit) > MAX_DRAFT_INVOICES:
        raise TooManyInvoices(invoices_needed(total, limit))
    full, rest = divmod(total, limit)
    return [limit] * full + ([rest] if rest else [])


def cut(lines: Sequence[Line], amounts: Sequence[int]) -> list[Invoice]:
    """The lines, in order, cut into invoices of exactly `amounts` (positive, summing to the lines'
    total): a line that does not fit in what is left of an invoice is cut there and continues on
    the next. Each piece is taxed on its own."""
    if any(amount <= 0 for amount in amounts) or sum(amounts) != sum(line.amount for line in lines):
        raise ValueError("the invoice amounts must be positive and sum to the lines' total")
    if any(line.amount <= 0 for line in lines):
        raise ValueError("draft lines are positive")
    invoices: list[Invoice] = []
    pending = [(line, line.amount) for line in lines]  # each line with what is left of it
    index = 0
    for amount in amounts:
        room = amount
        pieces: list[TaxedLine] = []
        while room:
            line, left = pending[index]
            piece = min(left, room)
            pieces.append(taxed(Line(line.item_name, line.tax_category_code, line.tax_rate, piece)))
            room -= piece
            if piece == left:
                index += 1
            else:
                pending[index] = (line, left - piece)
        invoices.append(Invoice(tuple(pieces)))
    return invoices


def draft(lines: Iterable[Line], limit: int | None) -> list[Invoice]:
    """The request's draft: its lines grouped, filled into invoices of at most `limit`."""
    grouped = group(lines)
    return cut(grouped, fill(sum(line.amount for line in grouped), limit))
