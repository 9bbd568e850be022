"""Creating an invoice request: the refusals in their fixed order, then the reservation.

`create_request` is the one way a request is made, by the customer's API call or by the service
itself (automatic invoicing). Refusals come from `app/invoiceable/blockers.py`, the function the
invoiceable summary asks too; the locking and the lines' effect on the items and the invoice
deficit are in `reservations.py`.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from sqlalchemy import Select, bindparam, insert, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import ledger
from app.accounts.models import Account
from app.addresses.models import MailingAddress
from app.addresses.service import address_snapshot, live_address
from app.certification.models import Certification
from app.core import metrics
from app.core.auth import Role
from app.core.clock import utcnow
from app.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from app.core.ids import try_parse_id
from app.core.money import format_money
from app.events import service as events
from app.invoiceable.blockers import Blocker, Facts, blockers, short_group
from app.profiles import rules
from app.profiles.models import InvoiceProfile
from app.profiles.rules import CertificationLike
from app.profiles.service import CertificationRequired, live_profile, profile_snapshot
from app.requests import ageing, draft, reservations
from app.requests.models import InvoiceRequest, InvoiceRequestEvent, InvoiceRequestItem
from app.requests.queries import Children, event_data, to_outs
from app.requests.reservations import ItemNotInvoiceable, Line
from app.requests.schemas import InvoiceRequestOut
from app.requests.states import Status
from app.sellers.terms import terms_columns

MAX_ITEMS = 500


class CashBalanceNotPositive(Conflict):
    code = "cash_balance_not_positive"
    detail = "The account's cash balance must be above zero to request invoices."


class ProfileNotUsable(Conflict):
    code = "profile_not_usable"
    detail = (
        "The invoice profile's header no longer matches the certification, "
        "or it lacks fields its invoice type needs."
    )


class AddressIncomplete(DomainError):
    code = "address_incomplete"
    status = 422
    detail = "Electronic invoices need an address with an email; paper invoices a postal address."


class MixedSellers(Conflict):
    code = "mixed_sellers"
    detail = "The selected items are invoiced by different sellers: request each seller's items apart."


class TooManyInvoices(DomainError):
    code = "invoice_limit_exceeded"
    status = 422
    detail = "The request would need more invoices than one issue takes."


class InvoiceDeficit(Conflict):
    code = "invoice_deficit"
    detail = (
        "The selected items do not add up to more than the account's invoice deficit, which a new "
        "request settles first; select more to invoice."
    )


ItemId = str | uuid.UUID


@dataclass(frozen=True, slots=True)
class Selection:
    """What to invoice: bill and stored-value-card ids (strings from an API body, or UUIDs)."""

    bill_ids: Sequence[ItemId] = ()
    stored_value_card_ids: Sequence[ItemId] = ()


async def create_request(
    session: AsyncSession,
    account_id: uuid.UUID,
    selection: Selection,
    *,
    profile_id: ItemId,
    address_id: ItemId,
    remark: str | None = None,
    actor_role: Literal["customer", "system"] = "customer",
    note: str | None = None,
    require_positive_cash_balance: bool,
    sla_business_days: int,
) -> InvoiceRequestOut:
    """Request invoices for `selection` on `account_id`, as the customer would.

    Checks, in the contract's order (the first that fails raises its `DomainError`):
    certification_required, cash_balance_not_positive, validation_error (empty, repeated or more
    than 500 items), not_found (profile, address, item), profile_not_usable, address_incomplete,
    item_not_invoiceable, invoice_deficit. Then each selected item is taken for its whole
    invoiceable amount and every over-invoiced item of the account is settled by a negative line;
    the request's amount is the sum of all lines, and `invoice_request.created` (and
    `account.invoice_deficit_changed` when a deficit was settled) are recorded in the caller's
    transaction, which the caller commits.

    `actor_role` and `note` go on the request's first (`pending`) event: `"customer"` for an API
    call, `"system"` with a note for what the service does by itself (automatic invoicing).
    The request is due `sla_business_days` business days after it is made (app/requests/ageing.py).
    """
    try:
        out = await _create(
            session,
            account_id,
            selection,
            profile_id=profile_id,
            address_id=address_id,
            remark=remark,
            first_event=(actor_role, note),
            require_positive_cash_balance=require_positive_cash_balance,
            sla_business_days=sla_business_days,
        )
    except DomainError as refusal:
        metrics.INVOICE_REQUESTS_REFUSED.labels(refusal.code).inc()
        raise
    metrics.INVOICE_REQUESTS_CREATED.inc()
    return out


# The account's standing, certification and the chosen profile and address, with the account
# locked (the first lock of every change of it, see app/accounts/ledger.py: on PostgreSQL its
# advisory lock, then FOR UPDATE OF account), by one statement built once per dialect. Only the
# account's row is locked; the joins keep the tenant filter and the "live" rules of the profile and
# address services.
def _facts(dialect: str) -> Select[Any]:
    postgres = dialect == "postgresql"
    columns = (Account.cash_balance, Account.invoice_deficit, Certification, InvoiceProfile, MailingAddress)
    xid = ledger.ACCOUNT_LOCK.c.xid_before_lock if postgres else ledger.NO_ACCOUNT_LOCK
    stmt = select(*columns, xid)
    stmt = (
        stmt.select_from(ledger.ACCOUNT_LOCK).join(Account, true()) if postgres else stmt.select_from(Account)
    )
    return (
        stmt.outerjoin(Certification, Certification.account_id == Account.id)
        .outerjoin(InvoiceProfile, live_profile(Account.id, bindparam("profile_id")))
        .outerjoin(MailingAddress, live_address(Account.id, bindparam("address_id")))
        .where(Account.id == bindparam("account_id"))
        .with_for_update(of=Account)
    )


_FACTS = {dialect: _facts(dialect) for dialect in ("postgresql", "sqlite")}


async def _create(
    session: AsyncSession,
    account_id: uuid.UUID,
    selection: Selection,
    *,
    profile_id: ItemId,
    address_id: ItemId,
    remark: str | None,
    first_event: tuple[str, str | None],
    require_positive_cash_balance: bool,
    sla_business_days: int,
) -> InvoiceRequestOut:
    # The facts of the first checks come in one statement (which locks the account); the checks
    # still run in the order the contract lists them, and the first that fails answers.
    values = {
        **ledger.lock_values(account_id),
        "profile_id": _try_parse(profile_id),
        "address_id": _try_parse(address_id),
    }
    row = (await session.execute(_FACTS[session.get_bind().dialect.name], values)).one_or_none()
    if row is None:
        raise NotFound("No such account.")
    ledger.check_lock_order(session, account_id, row.xid_before_lock)
    cash_balance, deficit, certification, found_profile, found_address = row[:5]
    standing = Facts(
        certified=certification is not None,
        cash_balance=cash_balance,
        require_positive_cash_balance=require_positive_cash_balance,
    )
    _refuse(blockers(standing))
    _check_selection(selection)

    _parse(profile_id, "invoice profile")
    if found_profile is None:
        raise NotFound("No such invoice profile.")
    profile: InvoiceProfile = found_profile
    _parse(address_id, "mailing address")
    if found_address is None:
        raise NotFound("No such mailing address.")
    address: MailingAddress = found_address
    bill_ids = [_parse(value, "bill") for value in selection.bill_ids]
    card_ids = [_parse(value, "stored-value card") for value in selection.stored_value_card_ids]
    # The account's row is locked, so its deficit is current: when it is zero, no item is
    # over-invoiced (the deficit is their sum) and the lock reads only the selected items.
    locked = await reservations.lock_items(session, account_id, bill_ids, card_ids, deficit=deficit)

    lines = locked.lines(bill_ids, card_ids)
    selected = [line for line in lines if line.amount >= 0]
    exhausted = [line for line in selected if line.amount == 0]
    groups: dict[reservations.TaxGroup, tuple[int, int]] = {}
    for line in lines:
        amount, deficit = groups.get(reservations.tax_group(line.terms), (0, 0))
        groups[reservations.tax_group(line.terms)] = (
            (amount + line.amount, deficit) if line.amount >= 0 else (amount, deficit - line.amount)
        )
    facts = replace(
        _choice(standing, profile, certification, address),
        invoiceable=sum(line.amount for line in selected),
        exhausted_item=bool(exhausted),
        invoice_deficit=-sum(line.amount for line in lines if line.amount < 0),
        groups=tuple(groups.values()),
    )
    found = blockers(facts)
    sellers = {line.terms.seller_id for line in selected}
    # One seller per request, checked after item_not_invoiceable and before invoice_deficit.
    if len(sellers) > 1 and (not found or found[0] == "invoice_deficit"):
        names = sorted(str(seller) for seller in sellers)
        raise MixedSellers(sellers=names)
    _refuse(found, exhausted=exhausted, facts=facts)
    (seller_id,) = sellers
    seller = locked.sellers[seller_id]
    total = sum(line.amount for line in lines)
    needed = draft.invoices_needed(total, seller["max_invoice_amount"])
    if needed > draft.MAX_DRAFT_INVOICES:
        raise TooManyInvoices(
            f"The request's {format_money(total)} would need {needed} invoices of at most "
            f"{format_money(seller['max_invoice_amount'])} (the seller's max_invoice_amount); one issue "
            f"takes at most {draft.MAX_DRAFT_INVOICES}: select fewer items."
        )
    moved = await reservations.reserve(session, account_id, lines)
    return await _insert(
        session, account_id, profile, address, seller, remark, lines, first_event, moved, sla_business_days
    )


def _choice(
    standing: Facts, profile: InvoiceProfile, certification: CertificationLike | None, address: MailingAddress
) -> Facts:
    """The account's standing and what the chosen profile and address allow."""
    return replace(
        standing,
        usable_profile=rules.is_usable(profile, certification),
        address=rules.address_serves(address, profile.invoice_type),
    )


def check_usable(
    profile: InvoiceProfile, certification: CertificationLike | None, address: MailingAddress
) -> None:
    """Raise what creation would answer for this profile and address (profile_not_usable,
    address_incomplete), whatever the account's standing: automatic invoicing checks its choice."""
    chosen = _choice(
        Facts(certified=True, cash_balance=1, require_positive_cash_balance=False),
        profile,
        certification,
        address,
    )
    _refuse(blockers(chosen))


def _refuse(found: list[Blocker], *, exhausted: Sequence[Line] = (), facts: Facts | None = None) -> None:
    """Raise the refusal of the first blocker, if any (the summary lists the same blockers)."""
    if not found:
        return
    first = found[0]
    if first == "certification_required":
        raise CertificationRequired()
    if first == "cash_balance_not_positive":
        raise CashBalanceNotPositive()
    if first == "no_usable_profile":
        raise ProfileNotUsable()
    if first == "no_address":
        raise AddressIncomplete()
    if first == "nothing_invoiceable":
        items = [{"kind": line.kind, "id": str(line.id)} for line in exhausted]
        names = ", ".join(item["id"] for item in items)
        raise ItemNotInvoiceable(f"Nothing is left to invoice on: {names}.", items=items)
    assert facts is not None and facts.invoiceable is not None
    short = short_group(facts)
    assert short is not None
    selected, deficit = short
    where = "account's" if len(facts.groups) <= 1 else "account's (seller, rate and code) tax group's"
    raise InvoiceDeficit(
        f"The selected items add up to {format_money(selected)}, which does not exceed the "
        f"{where} invoice deficit of {format_money(deficit)}.",
        invoice_deficit=format_money(deficit),
        selected_amount=format_money(selected),
    )


def _check_selection(selection: Selection) -> None:
    count = len(selection.bill_ids) + len(selection.stored_value_card_ids)
    if count == 0:
        raise ValidationFailed("body", "select at least one bill or stored-value card")
    if count > MAX_ITEMS:
        raise ValidationFailed("body", f"at most {MAX_ITEMS} bills and stored-value cards per request")
    for field, values in (
        ("body.bill_ids", selection.bill_ids),
        ("body.stored_value_card_ids", selection.stored_value_card_ids),
    ):
        seen: set[object] = set()
        for value in values:
            # The same id in another spelling is still a repeat.
            key = value if isinstance(value, uuid.UUID) else try_parse_id(value) or value
            if key in seen:
                raise ValidationFailed(field, f"lists {value} more than once")
            seen.add(key)


def _try_parse(value: ItemId) -> uuid.UUID | None:
    return value if isinstance(value, uuid.UUID) else try_parse_id(value)


def _parse(value: ItemId, what: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    parsed = try_parse_id(value)
    if parsed is None:
        raise NotFound(f"No such {what}: {value}.")
    return parsed


# Plain INSERTs built once: the new rows need none of the ORM's unit-of-work bookkeeping.
_INSERT_REQUEST = insert(InvoiceRequest)
_INSERT_ITEM = insert(InvoiceRequestItem)
_INSERT_EVENT = insert(InvoiceRequestEvent)


async def _insert(
    session: AsyncSession,
    account_id: uuid.UUID,
    profile: InvoiceProfile,
    address: MailingAddress,
    seller: dict[str, Any],
    remark: str | None,
    lines: list[Line],
    first_event: tuple[str, str | None],
    deficit: int | None,
    sla_business_days: int,
    *,
    replaces_request_id: uuid.UUID | None = None,
) -> InvoiceRequestOut:
    """Insert the request, its lines and first event, and the outbox events (the deficit's new
    value first when the request settled one): four statements, however many lines; the answer
    is built from what was written, not read back."""
    now = utcnow()
    request_id = uuid.uuid4()
    request = {
        "id": request_id,
        "account_id": account_id,
        "status": Status.pending.value,
        "amount": sum(line.amount for line in lines),
        "invoice_type": profile.invoice_type,
        "profile_id": profile.id,
        "address_id": address.id,
        "profile_snapshot": profile_snapshot(profile),
        "address_snapshot": address_snapshot(address),
        "seller_id": uuid.UUID(seller["id"]),
        "seller_snapshot": seller,
        "remark": remark or None,
        "title": profile.title,
        "taxpayer_id": profile.taxpayer_id,
        "due_at": ageing.due_at(now, sla_business_days),
        "carrier": None,
        "tracking_number": None,
        "replaces_request_id": replaces_request_id,
        "created_at": now,
        "updated_at": now,
    }
    items = [
        {
            "id": uuid.uuid4(),
            "request_id": request_id,
            "position": position,
            "kind": item.kind,
            "bill_id": item.id if item.kind == "bill" else None,
            "stored_value_card_id": item.id if item.kind == "stored_value_card" else None,
            "label": item.label,
            "amount": item.amount,
            **terms_columns(item.terms),
        }
        for position, item in enumerate(lines)
    ]
    actor_role, note = first_event
    event = {"request_id": request_id, "status": Status.pending.value, "actor_role": actor_role, "note": note}
    connection = await session.connection()
    await connection.execute(_INSERT_REQUEST, request)
    await connection.execute(_INSERT_ITEM, items)  # one executemany
    await connection.execute(_INSERT_EVENT, {**event, "at": now})
    children = Children(
        items=[
            {
                "kind": item.kind,
                "id": item.id,
                "label": item.label,
                "reference": item.reference,
                "amount": item.amount,
                **terms_columns(item.terms),
            }
            for item in lines
        ],
        # Customers and the system are not named (a customer is the request's account).
        events=[
            {"status": event["status"], "at": now, "actor_role": actor_role, "actor_name": None, "note": note}
        ],
    )
    (out,) = to_outs([request], {request_id: children}, Role.customer)
    changes = [] if deficit is None else [ledger.deficit_changed(account_id, deficit)]
    changes.append(("invoice_request.created", event_data(out)))
    await events.record_many(session, account_id, changes, actor=(actor_role, None))
    return out


async def insert_replacement(
    session: AsyncSession,
    replaced: InvoiceRequest,
    profile: InvoiceProfile,
    address: MailingAddress,
    lines: list[Line],
    sla_business_days: int,
) -> InvoiceRequestOut:
    """A pending request holding `replaced`'s lines as they are (re-issue, app/requests/reissue.py):
    no amount moves, so no other request can take them in between; its first event is the
    customer's."""
    return await _insert(
        session,
        replaced.account_id,
        profile,
        address,
        replaced.seller_snapshot,  # the same items: the same seller
        replaced.remark,
        lines,
        ("customer", None),
        None,
        sla_business_days,
        replaces_request_id=replaced.id,
    )
