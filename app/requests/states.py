"""The invoice-request lifecycle: the one table of allowed moves and who may make each."""

from collections.abc import Mapping
from enum import StrEnum

from app.core.auth import Role


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
# Entering one of these gives the items' amounts back: they can be requested again.
RELEASING: frozenset[Status] = frozenset({Status.cancelled, Status.rejected, Status.reversed})


class Move(StrEnum):
    """What a caller asks for (`POST /v1/invoice-requests/{id}/<move>`), each naming one target."""

    cancel = "cancel"
    start = "start"
    issue = "issue"
    deliver = "deliver"
    reject = "reject"
    reverse = "reverse"


# move -> the status it leads to; one move per target status.
TARGET: Mapping[Move, Status] = {
    Move.cancel: Status.cancelled,
    Move.start: Status.processing,
    Move.issue: Status.issued,
    Move.deliver: Status.delivered,
    Move.reject: Status.rejected,
    Move.reverse: Status.reversed,
}


def may_move(current: Status, target: Status, role: Role) -> bool:
    return TRANSITIONS[current].get(target) is role


def allowed_moves(current: Status, role: Role) -> list[Move]:
    """The moves `role` may make from `current`, in the order `Move` lists them."""
    return [move for move in Move if may_move(current, TARGET[move], role)]
