"""The invoice-request lifecycle: the one table of allowed moves and who may make each."""

from collections.abc import Mapping
from enum import StrEnum

from app.core.auth import Role
from app.profiles.rules import is_electronic


class Status(StrEnum):
    pending = "pending"
    processing = "processing"
    issued = "issued"
    delivered = "delivered"
    rejected = "rejected"
    cancelled = "cancelled"
    reversed = "reversed"


# status -> {next status: the role that may make the move}. Nothing else decides transitions.
TRANSITIONS: Mapping[Status, Mapping[Status, Role]] = {
    Status.pending: {
        Status.processing: Role.finance,
        Status.rejected: Role.finance,
        Status.cancelled: Role.customer,
    },
    Status.processing: {
        Status.issued: Role.finance,
        Status.rejected: Role.finance,
    },
    Status.issued: {
        Status.delivered: Role.finance,
        Status.reversed: Role.finance,
    },
    Status.delivered: {
        Status.reversed: Role.finance,
    },
    Status.rejected: {},
    Status.cancelled: {},
    Status.reversed: {},
}

# Requests in these statuses hold their items' amounts; the others gave them back.
ACTIVE: frozenset[Status] = frozenset({Status.pending, Status.processing, Status.issued, Status.delivered})
# The invoices of a request in these statuses stand (issued, not reversed).
INVOICED: frozenset[Status] = frozenset({Status.issued, Status.delivered})
# Entering one of these gives the items' amounts back: they can be requested again.
RELEASING: frozenset[Status] = frozenset({Status.cancelled, Status.rejected, Status.reversed})


class Move(StrEnum):
    """What a caller may do to a request: the status moves (`POST /v1/invoice-requests/{id}/<move>`),
    each naming one target, then the actions that keep the status (`resend`, `upload_file`)."""

    cancel = "cancel"
    start = "start"
    issue = "issue"
    deliver = "deliver"
    reject = "reject"
    reverse = "reverse"
    resend = "resend"
    upload_file = "upload_file"


# status move -> the status it leads to; one move per target status.
TARGET: Mapping[Move, Status] = {
    Move.cancel: Status.cancelled,
    Move.start: Status.processing,
    Move.issue: Status.issued,
    Move.deliver: Status.delivered,
    Move.reject: Status.rejected,
    Move.reverse: Status.reversed,
}


# action that keeps the status -> the statuses it is offered in and the role that may take it.
ACTIONS: Mapping[Move, tuple[frozenset[Status], Role]] = {
    # Email the invoices again: only electronic ones are emailed (see may_act).
    Move.resend: (frozenset({Status.delivered}), Role.customer),
    # Upload (or replace) an invoice's file while the invoices stand.
    Move.upload_file: (INVOICED, Role.finance),
}


def may_move(current: Status, target: Status, role: Role) -> bool:
    return TRANSITIONS[current].get(target) is role


def may_act(action: Move, current: Status, role: Role, invoice_type: str) -> bool:
    """Whether `role` may take `action` (one of ACTIONS) on a request in `current` of `invoice_type`."""
    statuses, by = ACTIONS[action]
    if action is Move.resend and not is_electronic(invoice_type):
        return False
    return current in statuses and by is role


def allowed_moves(current: Status, role: Role, invoice_type: str) -> list[Move]:
    """The moves and actions `role` may make from `current`, in the order `Move` lists them."""
    return [
        move
        for move in Move
        if (
            may_move(current, TARGET[move], role)
            if move in TARGET
            else may_act(move, current, role, invoice_type)
        )
    ]


def tracking_number_required(invoice_type: str) -> bool:
    """Paper invoices are posted: delivering them needs a tracking number; electronic ones are emailed."""
    return not is_electronic(invoice_type)
