"""Why an invoice request would be refused: the one function that decides it.

The summary asks it about the whole account (is any profile usable, does any address exist, what
do all the invoiceable items add up to); request creation asks it about the customer's choice (this
profile, this address, these items) and answers the first blocker with its refusal. Both read the
same rules in the same order, so what the summary shows and what creation does never disagree.
"""

from dataclasses import dataclass
from typing import Literal

Blocker = Literal[
    "certification_required",
    "cash_balance_not_positive",
    "no_usable_profile",
    "no_address",
    "nothing_invoiceable",
    "invoice_deficit",
]


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules look at. `None` means "not looked at yet": creation checks the account's
    standing before it reads the selection, so it asks twice, with more facts the second time."""

    certified: bool
    cash_balance: int
    require_positive_cash_balance: bool
    usable_profile: bool | None = None
    # Summary: some address exists. Creation: the chosen address serves the profile's invoice type.
    address: bool | None = None
    # The total a request would invoice before settling the deficit, and whether some item in it has
    # nothing left (the summary counts only items with something left, so there it is False).
    invoiceable: int | None = None
    exhausted_item: bool = False
    invoice_deficit: int = 0
    # The deficit is kept per tax group (seller, rate, code): each group's (invoiceable, deficit).
    # Empty: one group of (invoiceable, invoice_deficit).
    groups: tuple[tuple[int, int], ...] = ()


def short_group(facts: Facts) -> tuple[int, int] | None:
    """The first tax group whose invoiceable amount does not exceed its deficit (a request must
    invoice more than it settles in each group it selects), if any."""
    assert facts.invoiceable is not None
    groups = facts.groups or ((facts.invoiceable, facts.invoice_deficit),)
    return next(((amount, deficit) for amount, deficit in groups if deficit > 0 and amount <= deficit), None)


def blockers(facts: Facts) -> list[Blocker]:
    """Every blocker that applies, in the order request creation checks them."""
    found: list[Blocker] = []
    if not facts.certified:
        found.append("certification_required")
    if facts.require_positive_cash_balance and facts.cash_balance <= 0:
        found.append("cash_balance_not_positive")
    if facts.usable_profile is False:
        found.append("no_usable_profile")
    if facts.address is False:
        found.append("no_address")
    if facts.invoiceable is not None:
        if facts.exhausted_item or facts.invoiceable <= 0:
            found.append("nothing_invoiceable")
        # A request must invoice more than it settles: its amount is the items' total less the deficit.
        if short_group(facts) is not None:
            found.append("invoice_deficit")
    return found
