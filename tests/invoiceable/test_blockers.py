"""The one function that decides why a request would be refused (the summary and creation ask it)."""

import pytest

from app.invoiceable.blockers import Facts, blockers

READY = Facts(
    certified=True,
    cash_balance=100,
    require_positive_cash_balance=True,
    usable_profile=True,
    address=True,
    invoiceable=500,
)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"certified": False, "usable_profile": False}, ["certification_required", "no_usable_profile"]),
        ({"cash_balance": 0}, ["cash_balance_not_positive"]),
        ({"cash_balance": 0, "require_positive_cash_balance": False}, []),
        ({"address": False}, ["no_address"]),
        ({"invoiceable": 0}, ["nothing_invoiceable"]),
        ({"exhausted_item": True}, ["nothing_invoiceable"]),
        ({"invoice_deficit": 499}, []),
        ({"invoice_deficit": 500}, ["invoice_deficit"]),  # a request must invoice more than it settles
        ({"invoice_deficit": 501}, ["invoice_deficit"]),
        ({"invoiceable": 0, "invoice_deficit": 1}, ["nothing_invoiceable", "invoice_deficit"]),
        # Not looked at yet (creation's first ask): only the account's standing counts.
        ({"usable_profile": None, "address": None, "invoiceable": None, "invoice_deficit": 900}, []),
    ],
)
def test_blockers_in_the_order_creation_checks_them(changes: dict[str, object], expected: list[str]) -> None:
    facts = Facts(**{**{f: getattr(READY, f) for f in Facts.__dataclass_fields__}, **changes})  # type: ignore[arg-type]
    assert blockers(facts) == expected
