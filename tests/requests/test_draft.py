"""The draft's arithmetic (app/requests/draft.py), proved on generated requests (hypothesis)."""

from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.requests.draft import MAX_DRAFT_INVOICES, Line, TooManyInvoices, cut, draft, fill, group, tax_of
from app.sellers.terms import TAX_RATES

NAMES = ("*信息技术服务*云服务费", "*信息技术服务*CDN", "*现代服务*存储")
CODES = ("3040201000000000000", "3040203000000000000")

lines_strategy = st.lists(
    st.builds(
        Line,
        item_name=st.sampled_from(NAMES),
        tax_category_code=st.sampled_from(CODES),
        tax_rate=st.sampled_from(TAX_RATES),
        amount=st.integers(min_value=1, max_value=10**13),
    ),
    min_size=1,
    max_size=30,
)


@st.composite
def requests(draw: st.DrawFn) -> list[Line]:
    """Positive lines, then some negative (settling) ones that leave the total positive."""
    lines = draw(lines_strategy)
    total = sum(line.amount for line in lines)
    for _ in range(draw(st.integers(0, 5))):
        room = total - 1
        if room < 1:
            break
        debt = draw(st.integers(1, room))
        model = draw(st.sampled_from(lines))
        name = draw(st.sampled_from(NAMES))
        lines.append(Line(name, model.tax_category_code, model.tax_rate, -debt))
        total -= debt
    return lines


@st.composite
def requests_and_limits(draw: st.DrawFn) -> tuple[list[Line], int | None]:
    """A request and a seller's limit that needs at most MAX_DRAFT_INVOICES invoices."""
    lines = draw(requests())
    total = sum(line.amount for line in lines)
    limit = draw(st.one_of(st.none(), st.integers(-(-total // MAX_DRAFT_INVOICES), 2 * total)))
    return lines, limit


def test_worked_example_of_the_contract() -> None:
    (invoice,) = draft([Line(NAMES[0], CODES[0], "0.06", 1_000_00)], None)
    assert (invoice.amount, invoice.tax_amount, invoice.amount_excluding_tax) == (100000, 5660, 94340)


def test_tax_is_rounded_to_the_nearest_fen() -> None:
    # With these rates an exact half fen never occurs (2·amount·p is even, (2k+1)(100+p) odd).
    assert tax_of(53, "0.06") == 3  # 318/106 = 3 exactly
    assert tax_of(101, "0.01") == 1
    assert tax_of(-53, "0.06") == -3
    assert tax_of(0, "0.13") == 0
    assert tax_of(52, "0.03") == 2  # 1.5145… → 2
    assert tax_of(51, "0.03") == 1  # 1.4854… → 1
    assert tax_of(12345, "0.00") == 0


@given(requests_and_limits())
@settings(max_examples=300, deadline=None)
def test_the_draft_keeps_every_sum_and_every_limit(case: tuple[list[Line], int | None]) -> None:
    lines, limit = case
    invoices = draft(lines, limit)
    total = sum(line.amount for line in lines)
    assert sum(invoice.amount for invoice in invoices) == total
    for invoice in invoices:
        assert invoice.amount > 0
        if limit is not None:
            assert invoice.amount <= limit
        assert invoice.amount == invoice.amount_excluding_tax + invoice.tax_amount
        for line in invoice.lines:
            assert line.amount > 0
            assert line.amount == line.amount_excluding_tax + line.tax_amount
            exact = Fraction(line.amount) * Fraction(line.tax_rate) / (1 + Fraction(line.tax_rate))
            assert abs(line.tax_amount - exact) <= Fraction(1, 2)
    # Only the last invoice may be below the limit: invoices are filled in order.
    if limit is not None:
        assert all(invoice.amount == limit for invoice in invoices[:-1])


@given(requests())
@settings(max_examples=200, deadline=None)
def test_grouping_keeps_the_sum_and_each_code_and_rate_where_it_can(lines: list[Line]) -> None:
    grouped = group(lines)
    assert sum(line.amount for line in grouped) == sum(line.amount for line in lines)
    assert len({line.key for line in grouped}) == len(grouped)
    assert all(line.amount > 0 for line in grouped)
    # Order of first appearance.
    first = list(dict.fromkeys(line.key for line in lines))
    assert [line.key for line in grouped] == [key for key in first if key in {g.key for g in grouped}]


@given(requests(), st.data())
@settings(max_examples=300, deadline=None)
def test_cutting_at_any_amounts_preserves_every_sum(lines: list[Line], data: st.DataObject) -> None:
    grouped = group(lines)
    total = sum(line.amount for line in grouped)
    cuts = sorted(
        data.draw(st.sets(st.integers(1, total - 1), max_size=min(10, total - 1))) if total > 1 else []
    )
    bounds = [0, *cuts, total]
    amounts = [high - low for low, high in pairwise(bounds)]
    invoices = cut(grouped, amounts)
    assert [invoice.amount for invoice in invoices] == amounts
    by_key: dict[tuple[str, str, str], int] = {}
    for invoice in invoices:
        assert invoice.amount == invoice.amount_excluding_tax + invoice.tax_amount
        assert invoice.tax_amount == sum(line.tax_amount for line in invoice.lines)
        for line in invoice.lines:
            key = (line.item_name, line.tax_category_code, line.tax_rate)
            by_key[key] = by_key.get(key, 0) + line.amount
    assert by_key == {line.key: line.amount for line in grouped}
    # The pieces stay in the lines' order.
    keys = [(line.item_name, line.tax_category_code, line.tax_rate) for i in invoices for line in i.lines]
    assert list(dict.fromkeys(keys)) == [line.key for line in grouped]


def test_fill_splits_at_the_limit() -> None:
    assert fill(250, 100) == [100, 100, 50]
    assert fill(200, 100) == [100, 100]
    assert fill(99, 100) == [99]
    assert fill(5, None) == [5]
    assert len(fill(100 * 7, 7)) == MAX_DRAFT_INVOICES
    with pytest.raises(TooManyInvoices):
        fill(100 * 7 + 1, 7)


def test_a_line_is_cut_where_the_invoice_is_full() -> None:
    a, b = Line(NAMES[0], CODES[0], "0.06", 150), Line(NAMES[1], CODES[0], "0.13", 100)
    first, second, third = cut([a, b], [100, 100, 50])
    assert [(line.item_name, line.amount) for line in first.lines] == [(NAMES[0], 100)]
    assert [(line.item_name, line.amount) for line in second.lines] == [(NAMES[0], 50), (NAMES[1], 50)]
    assert [(line.item_name, line.amount) for line in third.lines] == [(NAMES[1], 50)]


def test_cutting_at_amounts_that_do_not_sum_is_refused() -> None:
    with pytest.raises(ValueError):
        cut([Line(NAMES[0], CODES[0], "0.06", 100)], [60, 30])
