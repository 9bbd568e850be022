"""Stateful property test: hypothesis drives random sequences of everything that moves money or a
request (bill upserts and amendments at any time, card purchases and refunds, balance changes,
requests over random subsets — settling the invoice deficit —, cancels, starts, split issues,
deliveries, rejects, reversals, re-certifications) through the HTTP API, keeps a model of what each
answer must be, and after every step checks the database invariants (per account: every item's
requested amount is the sum of its lines in active requests; active request amounts plus invoiceable
amounts less the deficit equal the bases; the deficit is never negative) and that the summary, the
account, the lists and the requests agree with the model.

`make fuzz` runs it with many more sequences (INVOICING_STATEFUL_EXAMPLES)."""

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, create_engine

from app.cli import migrate
from app.core.auth import Role
from app.core.database import sync_url
from app.core.money import format_money
from app.core.settings import Settings
from app.main import create_app
from app.requests.states import ACTIVE, Confirmation, Move, Status, confirmation_allows, may_make
from tests.factories import OTHER_TAXPAYER_ID, TAXPAYER_ID, bearer, issue_staff_key
from tests.reliability.invariants import check_invariants
from tests.reliability.world import record_figures

pytestmark = pytest.mark.slow

IN_SUITE = {"sqlite": (15, 50), "postgres": (8, 50)}  # (sequences, steps per sequence)
PERIODS = [f"2025-{month:02d}" for month in range(1, 13)]
NAME = "Acme Cloud Ltd."
OTHER_NAME = "Acme Cloud (Fuzhou) Ltd."
# Where each move is posted (`POST /v1/invoice-requests/{id}/<path>`); the others by their name.
PATHS = {
    Move.confirm_red_letter: "red-letter/confirm",
    Move.decline_red_letter: "red-letter/decline",
    Move.record_red_invoices: "red-invoices",
}
FINANCE_MOVES = [Move.start, Move.issue, Move.deliver, Move.reject, Move.reverse, Move.record_red_invoices]

# Amounts in fen; now and then zero (nothing to invoice), mostly not.
fen = st.one_of(*[st.integers(min_value=1, max_value=50_000)] * 4, st.just(0))
_PERIOD = re.compile(r"[0-9]{4}-[0-9]{2}$")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Item:
    kind: str  # "bill" | "card"
    id: str
    base: int  # cash part of a bill, paid amount less refunds of a card
    requested: int = 0
    amounts: tuple[int, int, int] = (0, 0, 0)  # a bill's cash, voucher, card parts
    paid: int = 0  # a card's paid amount

    @property
    def invoiceable(self) -> int:
        return max(0, self.base - self.requested)

    @property
    def over(self) -> int:
        return max(0, self.requested - self.base)


@dataclass
class Req:
    status: Status
    amount: int
    items: list[tuple[str, int]] = field(default_factory=list)
    invoices: list[str] = field(default_factory=list)  # the blue numbers
    confirmation: Confirmation | None = None  # of its red letter, once reversed
    returns_to: Status | None = None
    replaces: str | None = None
    replaced_by: str | None = None


class Harness:
    """What every machine instance shares: one app, one database, staff keys, counters."""

    client: TestClient
    engine: Engine
    billing: dict[str, str]
    finance: dict[str, str]
    steps = 0
    sequences = 0
    outcomes: ClassVar[dict[str, int]] = {}


class InvoicingMachine(RuleBasedStateMachine):
    harness: ClassVar[Harness]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, Item] = {}
        self.bills_by_period: dict[str, str] = {}
        self.requests: dict[str, Req] = {}
        self.cards = 0

    # -- plumbing -------------------------------------------------------------------------------

    def call(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        response = self.harness.client.request(method, path, json=body, headers=headers)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json", response.text
        template = _PERIOD.sub("{period}", _UUID.sub("{id}", path.split("?")[0]))
        code = f" {response.json()['code']}" if response.status_code >= 400 else ""
        key = f"{method} {template} {response.status_code}{code}"
        self.harness.outcomes[key] = self.harness.outcomes.get(key, 0) + 1
        return response

    def expect(self, response: Any, status: int, code: str | None = None) -> dict[str, Any]:
        assert response.status_code == status, (status, code, response.text)
        body = response.json() if response.content else {}
        if code is not None:
            assert body["code"] == code, response.text
        return dict(body)

    # -- set-up ---------------------------------------------------------------------------------

    @initialize()
    def open_account(self) -> None:
        h = self.harness
        h.sequences += 1
        account = self.expect(self.call("POST", "/v1/accounts", h.billing, {"name": NAME}), 201)
        self.account_id = account["id"]
        self.balance = 0
        key = self.expect(
            self.call("POST", f"/v1/accounts/{self.account_id}/api-keys", h.billing, {"role": "customer"}),
            201,
        )
        self.customer = bearer(key["key"])
        self.certify(True)
        profile = {"invoice_type": "vat_ordinary"}
        self.profile_id = self.expect(self.call("POST", "/v1/invoice-profiles", self.customer, profile), 201)[
            "id"
        ]
        address = {
            "recipient": "Li Lei",
            "phone": "13812345678",
            "email": "invoices@acme.example",
            "address": "1 Software Ave, Fuzhou",
        }
        self.address_id = self.expect(
            self.call("POST", "/v1/mailing-addresses", self.customer, address), 201
        )["id"]
        self.set_balance(100_000_00)
        self.upsert_bill(PERIODS[0], 100_00, 0, 0)
        self.buy_card(50_00)

    # -- the billing engine -----------------------------------------------------------------------

    @rule(period=st.sampled_from(PERIODS), cash=fen, voucher=fen, card=fen)
    def upsert_bill(self, period: str, cash: int, voucher: int, card: int) -> None:
        body = {
            "total_amount": format_money(cash + voucher + card),
            "cash_amount": format_money(cash),
            "voucher_amount": format_money(voucher),
            "stored_value_card_amount": format_money(card),
        }
        response = self.call(
            "PUT", f"/v1/accounts/{self.account_id}/bills/{period}", self.harness.billing, body
        )
        existing = self.items.get(self.bills_by_period.get(period, ""))
        if existing is None:
            bill = self.expect(response, 201)
            self.items[bill["id"]] = Item("bill", bill["id"], cash, 0, (cash, voucher, card))
            self.bills_by_period[period] = bill["id"]
        else:  # an amendment, at any time: what was requested stays requested
            bill = self.expect(response, 200)
            existing.base, existing.amounts = cash, (cash, voucher, card)
        item = self.items[bill["id"]]
        assert bill["requested_amount"] == format_money(item.requested), (bill, item)
        assert bill["over_invoiced_amount"] == format_money(item.over), (bill, item)

    @precondition(lambda self: any(i.kind == "bill" and i.requested > 0 for i in self.items.values()))
    @rule(data=st.data(), share=st.sampled_from([2, 1, 4, 0]))
    def amend_requested_bill(self, data: st.DataObject, share: int) -> None:
        """The billing engine lowers (now and then raises) a bill that was already requested."""
        bill = data.draw(
            st.sampled_from([i for i in self.items.values() if i.kind == "bill" and i.requested > 0])
        )
        period = next(p for p, bill_id in self.bills_by_period.items() if bill_id == bill.id)
        cash = bill.base * 2 if share == 0 else bill.base // share
        self.upsert_bill(period, cash, bill.amounts[1], bill.amounts[2])

    @rule(paid=fen)
    def buy_card(self, paid: int) -> None:
        self.cards += 1
        body = {
            "card_no": f"SVC-{self.cards:04d}",
            "face_value": format_money(paid),
            "paid_amount": format_money(paid),
            "purchased_at": "2025-06-01T08:00:00Z",
        }
        path = f"/v1/accounts/{self.account_id}/stored-value-cards"
        card = self.expect(self.call("POST", path, self.harness.billing, body), 201)
        self.items[card["id"]] = Item("card", card["id"], paid, paid=paid)

    @precondition(lambda self: any(item.kind == "card" for item in self.items.values()))
    @rule(data=st.data(), share=st.sampled_from([1, 2, 4, 10, 0]))
    def refund_card(self, data: st.DataObject, share: int) -> None:
        """Refund a part (1/share) of what is left to refund, or one fen more than that (share 0)."""
        cards = [item for item in self.items.values() if item.kind == "card"]
        refundable = [card for card in cards if card.base > 0]
        pool = refundable if refundable and data.draw(st.integers(0, 4)) < 4 else cards
        card = data.draw(st.sampled_from(pool))
        left = card.base  # paid less refunded
        amount = left + 1 if share == 0 else max(1, left // share)
        path = f"/v1/accounts/{self.account_id}/stored-value-cards/{card.id}/refunds"
        response = self.call("POST", path, self.harness.billing, {"amount": format_money(amount)})
        if amount > left:
            self.expect(response, 422, "validation_error")
            return
        body = self.expect(response, 201)
        card.base -= amount
        assert body["refunded_amount"] == format_money(card.paid - card.base), (body, card)
        assert body["over_invoiced_amount"] == format_money(card.over), (body, card)

    @rule(balance=st.sampled_from([100_000_00, 100_000_00, 100_000_00, 1, 0, -10_000]))
    def set_balance(self, balance: int) -> None:
        path = f"/v1/accounts/{self.account_id}/cash-balance"
        self.expect(
            self.call("PUT", path, self.harness.billing, {"cash_balance": format_money(balance)}), 200
        )
        self.balance = balance

    # -- the customer -------------------------------------------------------------------------------

    def certify(self, original: bool) -> None:
        body = {
            "enterprise_name": NAME if original else OTHER_NAME,
            "taxpayer_id": TAXPAYER_ID if original else OTHER_TAXPAYER_ID,
        }
        self.expect(self.call("PUT", "/v1/certification", self.customer, body), 200)
        self.profile_usable = original

    @rule(original=st.sampled_from([True, True, False]))
    def recertify(self, original: bool) -> None:
        self.certify(original)

    @rule(data=st.data())
    def request(self, data: st.DataObject) -> None:
        # Mostly items with something left, so requests succeed and the lifecycle gets exercised.
        left = [i for i, item in self.items.items() if item.invoiceable > 0]
        # (Hypothesis favours the simplest draw, 0: make that the common case.)
        pool = left if left and data.draw(st.integers(0, 4)) < 4 else list(self.items)
        smallest = 0 if data.draw(st.integers(0, 9)) == 9 else 1  # now and then an empty selection
        chosen = (
            data.draw(st.lists(st.sampled_from(pool), min_size=smallest, unique=True, max_size=4))
            if pool
            else []
        )
        if self.deficit and left and data.draw(st.integers(0, 2)) < 2:
            chosen = left  # mostly everything left while a deficit is owed, so it gets settled
        body = {
            "bill_ids": [i for i in chosen if self.items[i].kind == "bill"],
            "stored_value_card_ids": [i for i in chosen if self.items[i].kind == "card"],
            "profile_id": self.profile_id,
            "address_id": self.address_id,
        }
        response = self.call("POST", "/v1/invoice-requests", self.customer, body)
        empty = [i for i in chosen if self.items[i].invoiceable <= 0]
        total = sum(self.items[i].invoiceable for i in chosen)
        if self.balance <= 0:
            self.expect(response, 409, "cash_balance_not_positive")
        elif not chosen:
            self.expect(response, 422, "validation_error")
        elif not self.profile_usable:
            self.expect(response, 409, "profile_not_usable")
        elif empty:
            self.expect(response, 409, "item_not_invoiceable")
        elif total <= self.deficit:
            self.expect(response, 409, "invoice_deficit")
        else:
            created = self.expect(response, 201)
            # One positive line per chosen item, then one negative line per over-invoiced item.
            parts = [(i, self.items[i].invoiceable) for i in chosen]
            parts += [(i, -item.over) for i, item in self.items.items() if item.over > 0]
            assert created["amount"] == format_money(sum(amount for _, amount in parts)), created
            assert sorted((line["id"], line["amount"]) for line in created["items"]) == sorted(
                (i, format_money(amount)) for i, amount in parts
            ), created
            if any(amount < 0 for _, amount in parts):
                key = "model: requests settling a deficit"
                self.harness.outcomes[key] = self.harness.outcomes.get(key, 0) + 1
            for item_id, amount in parts:
                self.items[item_id].requested += amount
            self.requests[created["id"]] = Req(Status.pending, sum(a for _, a in parts), parts)

    @property
    def deficit(self) -> int:
        return sum(item.over for item in self.items.values())

    @precondition(lambda self: self.deficit > 0)
    @rule(data=st.data())
    def request_while_a_deficit_is_owed(self, data: st.DataObject) -> None:
        """As `request`, more often while a deficit is owed: settling it, or refused for it."""
        self.request(data)

    def release(self, request: Req) -> None:
        for item_id, amount in request.items:
            self.items[item_id].requested -= amount

    def end(self, request: Req, status: Status) -> None:
        """`request` is cancelled, rejected or reversed: its lines are given back unless its re-issue
        partner (the request it replaces, or its replacement) is active and holds them."""
        request.status = status
        partners = [p for p in (request.replaces, request.replaced_by) if p is not None]
        if not any(self.requests[p].status in ACTIVE for p in partners):
            self.release(request)

    def legal(self, move: Move, request: Req, role: Role) -> bool:
        return may_make(move, request.status, role, "vat_ordinary") and confirmation_allows(
            move, request.confirmation
        )

    def pick(self, data: st.DataObject, role: Role, move: Move) -> str:
        """A request, mostly one the move is legal for (so deep states are reached), else any."""
        legal = [i for i, r in self.requests.items() if self.legal(move, r, role)]
        pool = legal if legal and data.draw(st.integers(0, 3)) < 3 else list(self.requests)
        return data.draw(st.sampled_from(pool))

    def post(self, request_id: str, move: Move, headers: dict[str, str], body: Any = None) -> Any:
        return self.call(
            "POST", f"/v1/invoice-requests/{request_id}/{PATHS.get(move, move.value)}", headers, body
        )

    @precondition(lambda self: bool(self.requests))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        request_id = self.pick(data, Role.customer, Move.cancel)
        request = self.requests[request_id]
        response = self.post(request_id, Move.cancel, self.customer)
        if request.status is Status.pending:
            self.expect(response, 200)
            self.end(request, Status.cancelled)
        else:
            self.expect(response, 409, "invalid_transition")

    def back(self, request: Req, confirmation: Confirmation) -> None:
        """A declined reversal: back where it was; an active replacement is cancelled by the service
        (the amounts stay with this request)."""
        assert request.returns_to is not None
        request.status, request.confirmation = request.returns_to, confirmation
        replacement = self.requests.get(request.replaced_by or "")
        if replacement is not None and replacement.status in ACTIVE:
            self.end(replacement, Status.cancelled)

    @precondition(lambda self: bool(self.requests))
    @rule(data=st.data(), move=st.sampled_from([Move.confirm_red_letter, Move.decline_red_letter]))
    def answer_red_letter(self, data: st.DataObject, move: Move) -> None:
        self.answer(self.pick(data, Role.customer, move), move)

    def answer(self, request_id: str, move: Move) -> None:
        request = self.requests[request_id]
        response = self.post(request_id, move, self.customer)
        if not self.legal(move, request, Role.customer):
            self.expect(response, 409, "invalid_transition")
        elif move is Move.confirm_red_letter:
            self.expect(response, 200)
            request.confirmation = Confirmation.confirmed
        else:
            self.expect(response, 200)
            self.back(request, Confirmation.declined)

    @precondition(lambda self: bool(self.requests))
    @rule(data=st.data())
    def reissue(self, data: st.DataObject) -> None:
        """The customer re-issues: the reversal starts and a replacement holds the same lines."""
        self.reissue_one(self.pick(data, Role.customer, Move.reissue))

    def reissue_one(self, request_id: str) -> None:
        request = self.requests[request_id]
        response = self.post(request_id, Move.reissue, self.customer, {"reason": "property test: re-issue"})
        if not self.legal(Move.reissue, request, Role.customer):
            self.expect(response, 409, "invalid_transition")
            return
        if not self.profile_usable:
            self.expect(response, 409, "profile_not_usable")
            return
        created = self.expect(response, 201)
        assert created["amount"] == format_money(request.amount), created
        request.returns_to, request.status = request.status, Status.reversing
        request.confirmation = Confirmation.not_required  # a VAT ordinary invoice
        request.replaced_by = created["id"]
        self.requests[created["id"]] = Req(
            Status.pending, request.amount, list(request.items), replaces=request_id
        )

    @precondition(lambda self: bool(self.requests))
    @rule(data=st.data())
    def customer_advance(self, data: st.DataObject) -> None:
        """The customer makes one legal red-letter move or re-issue (so replacements, confirmations
        and declines are reached as often as their refusals)."""
        moves = [Move.reissue, Move.confirm_red_letter, Move.decline_red_letter]
        choices = [
            (request_id, move)
            for request_id, request in self.requests.items()
            for move in moves
            if self.legal(move, request, Role.customer)
        ]
        if not choices:
            return
        request_id, move = data.draw(st.sampled_from(choices))
        if move is Move.reissue:
            self.reissue_one(request_id)
        else:
            self.answer(request_id, move)

    # -- finance ------------------------------------------------------------------------------------

    def move(self, data: st.DataObject, move: Move, request_id: str = "") -> None:
        request_id = request_id or self.pick(data, Role.finance, move)
        request = self.requests[request_id]
        body: dict[str, Any] | None = {
            Move.deliver: {"carrier": "SF Express", "tracking_number": "SF1234567890"},
            Move.reject: {"reason": "property test: rejected"},
        }.get(move)
        usage = None
        if move is Move.issue:
            parts = min(data.draw(st.integers(min_value=1, max_value=3)), request.amount)
            amounts = [request.amount // parts] * parts
            amounts[0] += request.amount - sum(amounts)
            number = uuid.uuid4().hex[:16].upper()
            invoices = [{"number": f"{number}-{n}", "amount": format_money(a)} for n, a in enumerate(amounts)]
            body = {"invoices": invoices}
        elif move is Move.reverse:
            usage = data.draw(st.sampled_from([None, None, "booked"]))
            body = {"reason": "property test: red-letter reversal"} | (
                {"buyer_usage": usage} if usage else {}
            )
        elif move is Move.record_red_invoices:
            numbers = request.invoices or ["NONE-1"]
            body = {
                "invoices": [{"number": uuid.uuid4().hex[:16].upper(), "blue_number": n} for n in numbers]
            }
        response = self.post(request_id, move, self.harness.finance, body)
        replaced = self.requests.get(request.replaces or "")
        if not may_make(move, request.status, Role.finance, "vat_ordinary"):
            self.expect(response, 409, "invalid_transition")
        elif not confirmation_allows(move, request.confirmation):
            self.expect(response, 409, "red_letter_not_confirmed")
        elif move is Move.issue and replaced is not None and replaced.status is not Status.reversed:
            self.expect(response, 409, "replaced_request_not_reversed")
        else:
            moved = self.expect(response, 200)
            if move is Move.issue:
                request.invoices = [invoice["number"] for invoice in moved["invoices"]]
            if move is Move.reverse:
                request.returns_to = request.status
                request.confirmation = Confirmation.awaiting_buyer if usage else Confirmation.not_required
                assert moved["red_letter"]["confirmation"] == request.confirmation.value, moved
            target = {
                Move.start: Status.processing,
                Move.issue: Status.issued,
                Move.deliver: Status.delivered,
                Move.reject: Status.rejected,
                Move.reverse: Status.reversing,
                Move.record_red_invoices: Status.reversed,
            }[move]
            if target in (Status.rejected, Status.reversed):
                self.end(request, target)
            else:
                request.status = target
            if move is Move.record_red_invoices:
                reds = moved["red_letter"]["red_invoices"]
                assert sum(int(red["amount"].replace(".", "")) for red in reds) == -request.amount, moved

    @precondition(lambda self: bool(self.requests))
    @rule(data=st.data())
    def advance(self, data: st.DataObject) -> None:
        """Finance moves a live request one legal step on (so issued, delivered, reversing and
        reversed are reached as often as the refusals of illegal moves are)."""
        for _step in range(data.draw(st.integers(1, 3))):  # a few steps, so deep states are common
            forward = data.draw(st.integers(0, 3)) < 3  # mostly not a rejection
            choices = [
                (request_id, move)
                for request_id, request in self.requests.items()
                for move in FINANCE_MOVES
                if self.legal(move, request, Role.finance) and not (forward and move is Move.reject)
            ]
            if not choices:
                return
            request_id, move = data.draw(st.sampled_from(choices))
            self.move(data, move, request_id)

    @precondition(lambda self: bool(self.requests))
    @rule(data=st.data())
    def start(self, data: st.DataObject) -> None:
        self.move(data, Move.start)

    @precondition(lambda self: bool(self.requests))
    @rule(data=st.data())
    def issue_split(self, data: st.DataObject) -> None:
        self.move(data, Move.issue)

    @precondition(lambda self: bool(self.requests))
    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        self.move(data, Move.deliver)

    @precondition(lambda self: bool(self.requests))
    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        self.move(data, Move.reject)

    @precondition(lambda self: bool(self.requests))
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        self.move(data, Move.reverse)

    @precondition(lambda self: bool(self.requests))
    @rule(data=st.data())
    def record_red_invoices(self, data: st.DataObject) -> None:
        self.move(data, Move.record_red_invoices)

    # -- after every step -----------------------------------------------------------------------------

    @invariant()
    def database_and_api_agree_with_the_model(self) -> None:
        if not hasattr(self, "account_id"):
            return
        self.harness.steps += 1
        if self.deficit > 0:
            self.harness.outcomes["model: steps with a deficit"] = (
                self.harness.outcomes.get("model: steps with a deficit", 0) + 1
            )
        check_invariants(self.harness.engine, [self.account_id])
        lists: dict[str, list[dict[str, Any]]] = {}
        for kind, path in (("bill", "/v1/bills"), ("card", "/v1/stored-value-cards")):
            page = self.expect(self.call("GET", f"{path}?limit=100", self.customer), 200)
            assert not page["has_more"]
            lists[kind] = page["data"]
            for row in page["data"]:
                item = self.items[row["id"]]
                assert row["requested_amount"] == format_money(item.requested), (row, item)
                assert row["invoiceable_amount"] == format_money(item.invoiceable), (row, item)
                assert row["over_invoiced_amount"] == format_money(item.over), (row, item)
            assert {row["id"] for row in page["data"]} == {
                i.id for i in self.items.values() if i.kind == kind
            }
        summary = self.expect(self.call("GET", "/v1/invoiceable-summary", self.customer), 200)
        for kind, key in (("bill", "bills"), ("card", "stored_value_cards")):
            left = [row for row in lists[kind] if row["invoiceable_amount"] != "0.00"]
            total = sum(int(row["invoiceable_amount"].replace(".", "")) for row in left)
            assert summary[key] == {"count": len(left), "amount": format_money(total)}, summary
        expected_total = sum(i.invoiceable for i in self.items.values())
        assert summary["invoiceable_amount"] == format_money(max(0, expected_total - self.deficit)), summary
        assert summary["invoice_deficit"] == format_money(self.deficit), summary
        assert ("invoice_deficit" in summary["blockers"]) == (0 < self.deficit >= expected_total), summary
        assert summary["cash_balance"] == format_money(self.balance)
        account = self.expect(self.call("GET", "/v1/account", self.customer), 200)
        assert account["invoice_deficit"] == format_money(self.deficit), account
        page = self.expect(self.call("GET", "/v1/invoice-requests?limit=100", self.customer), 200)
        assert {row["id"]: row["status"] for row in page["data"]} == {
            request_id: request.status.value for request_id, request in self.requests.items()
        }
        for row in page["data"]:
            full = self.expect(self.call("GET", f"/v1/invoice-requests/{row['id']}", self.customer), 200)
            assert full["status"] == row["status"] and full["updated_at"] == row["updated_at"]
            assert [event["status"] for event in full["events"]][-1] == row["status"]
            # The draft's lines sum to the request's amount, and each invoice is the sum of its lines.
            drafted = full["draft"]["invoices"]
            assert sum(_fen(line["amount"]) for i in drafted for line in i["lines"]) == _fen(full["amount"])
            for invoice in [*drafted, *full["invoices"]]:
                for key in ("amount", "amount_excluding_tax", "tax_amount"):
                    assert _fen(invoice[key]) == sum(_fen(line[key]) for line in invoice["lines"]), invoice


def _fen(money: str) -> int:
    return int(money.replace(".", "").replace("-", "")) * (-1 if money.startswith("-") else 1)


@pytest.fixture
def harness(backend: str, fresh_database_url: Any, tmp_path: Path) -> Iterator[Harness]:
    database_url = fresh_database_url(backend)
    migrate(database_url)
    app = create_app(Settings(database_url=database_url, log_level="WARNING"))
    engine = create_engine(sync_url(database_url))
    with TestClient(app, base_url="http://testserver") as client:
        h = Harness()
        h.client = client
        h.engine = engine
        h.billing = bearer(client.portal.call(issue_staff_key, app, Role.billing))
        h.finance = bearer(client.portal.call(issue_staff_key, app, Role.finance))
        h.outcomes = {}
        yield h
    engine.dispose()


def test_random_sequences_keep_every_invariant(backend: str, harness: Harness) -> None:
    sequences, steps = IN_SUITE[backend]
    sequences = int(os.environ.get("INVOICING_STATEFUL_EXAMPLES") or sequences)
    InvoicingMachine.harness = harness
    run_state_machine_as_test(
        InvoicingMachine,
        settings=settings(
            max_examples=sequences,
            stateful_step_count=steps,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    record_figures(
        "state_machine",
        backend=backend,
        sequences=harness.sequences,
        steps=harness.steps,
        max_steps_per_sequence=steps,
        outcomes=dict(sorted(harness.outcomes.items())),
    )
    assert harness.steps > 0
