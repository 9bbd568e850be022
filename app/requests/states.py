"""The invoice-request lifecycle: the one table of allowed moves and who may make each."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from app.core.auth import Role
from app.profiles.rules import is_electronic


class Status(StrEnum):
    pending = "pending"
    processing = "processing"
    # Submitted to the tax platform (SPEC §8): the worker records the invoices it issued.
    issuing = "issuing"
    issued = "issued"
    delivered = "delivered"
    rejected = "rejected"
    cancelled = "cancelled"
    reversing = "reversing"
    reversed = "reversed"


class Confirmation(StrEnum):
    """Whether the buyer must agree to a red-letter reversal, and what it answered (SPEC §7)."""

    awaiting_buyer = "awaiting_buyer"
    not_required = "not_required"
    confirmed = "confirmed"
    declined = "declined"
    expired = "expired"


class Move(StrEnum):
    """What a caller may do to a request: the status moves (`POST /v1/invoice-requests/{id}/<move>`,
    `red-letter/confirm`, `red-letter/decline`, `red-invoices`), then the actions that keep the
    status (`resend`, `upload_file`)."""

    cancel = "cancel"
    start = "start"
    issue = "issue"
    deliver = "deliver"
    reject = "reject"
    reverse = "reverse"
    confirm_red_letter = "confirm_red_letter"
    decline_red_letter = "decline_red_letter"
    record_red_invoices = "record_red_invoices"
    reissue = "reissue"
    resend = "resend"
    upload_file = "upload_file"


# The invoices of a request in these statuses stand (issued, not reversed).
INVOICED: frozenset[Status] = frozenset({Status.issued, Status.delivered})


@dataclass(frozen=True, slots=True)
class Step:
    """One row of the table: from which statuses a move is made, by whom, and where it leads.

    `target` None: the status stays (an action), or, with `back`, the request returns to the status
    its reversal began from. `confirmation`: in `reversing`, the red letter's confirmation the move
    needs (a record before the buyer agreed is 409 `red_letter_not_confirmed`; a confirm or decline
    when no answer is awaited is `invalid_transition`)."""

    sources: frozenset[Status]
    role: Role
    target: Status | None = None
    back: bool = False
    confirmation: frozenset[Confirmation] | None = None


_REVERSING = frozenset({Status.reversing})
_AWAITING = frozenset({Confirmation.awaiting_buyer})

# move -> its row. Nothing else decides transitions.
MOVES: Mapping[Move, Step] = {
    Move.cancel: Step(frozenset({Status.pending}), Role.customer, Status.cancelled),
    Move.start: Step(frozenset({Status.pending}), Role.finance, Status.processing),
    # Manual issuing (numbers given) goes straight to `issued`; through the tax platform it goes to
    # `issuing` first (ISSUE_VIA_PLATFORM), and the service moves it on (SYSTEM_ISSUES).
    Move.issue: Step(frozenset({Status.processing}), Role.finance, Status.issued),
    Move.deliver: Step(frozenset({Status.issued}), Role.finance, Status.delivered),
    Move.reject: Step(frozenset({Status.pending, Status.processing}), Role.finance, Status.rejected),
    # A red-letter reversal: the invoices stand until their red-letter invoices are recorded.
    Move.reverse: Step(INVOICED, Role.finance, Status.reversing),
    # The buyer agrees: still reversing, now finance may record the red-letter invoices.
    Move.confirm_red_letter: Step(_REVERSING, Role.customer, Status.reversing, confirmation=_AWAITING),
    Move.decline_red_letter: Step(_REVERSING, Role.customer, back=True, confirmation=_AWAITING),
    Move.record_red_invoices: Step(
        _REVERSING,
        Role.finance,
        Status.reversed,
        confirmation=frozenset({Confirmation.not_required, Confirmation.confirmed}),
    ),
    # Re-issue (换开): the customer starts the reversal, and a replacing request is made with it.
    Move.reissue: Step(INVOICED, Role.customer, Status.reversing),
    # Email the invoices again: only electronic ones are emailed (see may_make).
    Move.resend: Step(frozenset({Status.delivered}), Role.customer),
    # Upload (or replace) an invoice's file while the invoices stand.
    Move.upload_file: Step(INVOICED, Role.finance),
}

# What the service does by itself (`system`): a reversal nobody answered by its deadline returns;
# a replacing request whose reversal was declined or expired is cancelled.
SYSTEM_RETURNS: frozenset[Status] = _REVERSING
SYSTEM_CANCELS: frozenset[Status] = frozenset({Status.pending})
# Issuing through the tax platform: `issue` without numbers leads to `issuing`; then the service
# records what the platform issued (`issued`) or its refusal (back to `processing`), and delivers an
# electronic request by email by itself (`issued` -> `delivered`).
ISSUE_VIA_PLATFORM = Status.issuing
SYSTEM_ISSUES: Mapping[Status, frozenset[Status]] = {
    Status.issuing: frozenset({Status.issued, Status.processing}),
    Status.issued: frozenset({Status.delivered}),
}

# Requests in these statuses hold their items' amounts; the others gave them back.
ACTIVE: frozenset[Status] = frozenset(
    {Status.pending, Status.processing, Status.issuing, Status.issued, Status.delivered, Status.reversing}
)
# Entering one of these gives the items' amounts back: they can be requested again.
RELEASING: frozenset[Status] = frozenset({Status.cancelled, Status.rejected, Status.reversed})


def may_make(move: Move, current: Status, role: Role, invoice_type: str) -> bool:
    """Whether `role` may make `move` on a request in `current` of `invoice_type` (before any
    confirmation the move needs: `confirmation_allows`)."""
    step = MOVES[move]
    if move is Move.resend and not is_electronic(invoice_type):
        return False
    return current in step.sources and step.role is role


def confirmation_allows(move: Move, confirmation: Confirmation | None) -> bool:
    needed = MOVES[move].confirmation
    return needed is None or confirmation in needed


def allowed_moves(
    current: Status, role: Role, invoice_type: str, confirmation: Confirmation | None = None
) -> list[Move]:
    """The moves and actions `role` may make from `current`, in the order `Move` lists them."""
    return [
        move
        for move in Move
        if may_make(move, current, role, invoice_type) and confirmation_allows(move, confirmation)
    ]


def may_follow(current: Status, following: Status, actor: str) -> bool:
    """Whether a timeline may step from `current` to `following` by `actor` (a role's value or
    `system`): some move of the table leads there, or the service does it by itself."""
    if actor == "system":
        return (
            (current in SYSTEM_RETURNS and following in INVOICED)
            or (current in SYSTEM_CANCELS and following is Status.cancelled)
            or following in SYSTEM_ISSUES.get(current, frozenset())
        )
    if current is Status.processing and following is ISSUE_VIA_PLATFORM and actor == MOVES[Move.issue].role:
        return True
    return any(
        current in step.sources
        and step.role.value == actor
        and (following in INVOICED if step.back else step.target is following)
        for step in MOVES.values()
        if step.target is not None or step.back
    )


def tracking_number_required(invoice_type: str) -> bool:
    """Paper invoices are posted: delivering them needs a tracking number; electronic ones are emailed."""
    return not is_electronic(invoice_type)
