"""Locust users, one class per measured endpoint; `bench/run.py` runs them one at a time, headless.

Every user is closed-loop (no wait between requests), so the server is saturated and its
throughput is what we read. Each response's exact latency (locust's own percentiles are
rounded to whole milliseconds) and completion time are written to BENCH_SAMPLES at the end.
"""

import itertools
import json
import os
import time
from typing import Any

from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

from bench.filters import filter_path

FIXTURES: dict[str, Any] = json.loads(open(os.environ["BENCH_FIXTURES"]).read())  # noqa: SIM115
SAMPLES_PATH = os.environ.get("BENCH_SAMPLES")
ITEMS_PER_REQUEST = 5

_samples: list[tuple[float, float]] = []
_failures: dict[str, int] = {}


@events.request.add_listener
def _record(
    name: str, response_time: float, exception: BaseException | None, response: Any, **_: Any
) -> None:
    if exception is not None:
        key = f"{type(exception).__name__}: {str(exception)[:120]}"
        _failures[key] = _failures.get(key, 0) + 1
        return
    _samples.append((time.perf_counter(), response_time))


@events.quitting.add_listener
def _dump(**_: Any) -> None:
    if SAMPLES_PATH:
        with open(SAMPLES_PATH, "w") as out:
            json.dump({"samples": _samples, "failures": _failures}, out)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class Bench(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    # The requests are measured, not the connection set-up: keep connections open.
    connection_timeout = 30.0
    network_timeout = 60.0

    def get_json(self, path: str, headers: dict[str, str], name: str, expect: int = 200) -> None:
        with self.client.get(path, headers=headers, name=name, catch_response=True) as response:
            if response.status_code != expect:
                response.failure(f"status {response.status_code}: {response.text[:200]}")


class F00(Bench):
    @task
    def floor(self) -> None:
        self.get_json("/", {}, "F00")


class F0(Bench):
    @task
    def floor(self) -> None:
        self.get_json("/bench/f0", {}, "F0")


class F1(Bench):
    headers = bearer(FIXTURES["customer_key"])

    @task
    def floor(self) -> None:
        self.get_json("/bench/f1", self.headers, "F1")


class Bills(Bench):
    headers = bearer(FIXTURES["customer_key"])

    @task
    def bills(self) -> None:
        self.get_json("/v1/bills?limit=20", self.headers, "bills")


class RequestGet(Bench):
    headers = bearer(FIXTURES["customer_key"])
    ids = itertools.cycle(FIXTURES["customer_request_ids"])

    @task
    def read(self) -> None:
        self.get_json(f"/v1/invoice-requests/{next(self.ids)}", self.headers, "request")


class Summary(Bench):
    headers = bearer(FIXTURES["customer_key"])

    @task
    def summary(self) -> None:
        self.get_json("/v1/invoiceable-summary", self.headers, "summary")


class FinancePending(Bench):
    headers = bearer(FIXTURES["finance_key"])

    @task
    def pending(self) -> None:
        self.get_json("/v1/invoice-requests?status=pending&limit=50", self.headers, "pending")


class FirstPage(Bench):
    headers = bearer(FIXTURES["finance_key"])

    @task
    def first(self) -> None:
        self.get_json("/v1/invoice-requests?limit=50", self.headers, "first page")


class DeepPage(Bench):
    headers = bearer(FIXTURES["finance_key"])
    path = f"/v1/invoice-requests?limit=50&cursor={FIXTURES['deep_cursor']}"

    @task
    def deep(self) -> None:
        self.get_json(self.path, self.headers, "deep page")


class FilteredList(Bench):
    """A finance list under one search filter (bench/filters.py): `phase` names it."""

    abstract = True
    phase = ""
    headers = bearer(FIXTURES["finance_key"])

    def on_start(self) -> None:
        self.path = filter_path(self.phase, FIXTURES)

    @task
    def read(self) -> None:
        self.get_json(self.path, self.headers, self.phase)


class ByInvoiceNumber(FilteredList):
    phase = "invoice_number"


class ByTaxpayerId(FilteredList):
    phase = "taxpayer_id"


class ByTitle(FilteredList):
    phase = "title"


class ByAmountRange(FilteredList):
    phase = "amount range"


class BySeller(FilteredList):
    phase = "seller_id"


class ByIssuedDates(FilteredList):
    phase = "issued"


class Overdue(FilteredList):
    phase = "overdue"


class ByTaxpayerIdDeep(FilteredList):
    phase = "taxpayer_id deep"


class OverdueDeep(FilteredList):
    phase = "overdue deep"


_creators = itertools.count()


class Create(Bench):
    """Each user owns every `users`-th creator account and, per request, takes 5 fresh bills of one."""

    def on_start(self) -> None:
        creators = FIXTURES["creators"]
        users = int(os.environ.get("BENCH_USERS", "1"))
        rounds = int(os.environ.get("BENCH_ROUNDS", "1"))
        round_ = int(os.environ.get("BENCH_ROUND", "0"))
        mine = creators[next(_creators) % users :: users]
        # Rounds take disjoint slices of each pool, so a round never finds a bill already requested.
        self.batches = itertools.chain.from_iterable(
            self._batches(creator, rounds, round_) for creator in mine
        )

    @staticmethod
    def _batches(creator: dict[str, Any], rounds: int, round_: int) -> Any:
        headers = {**bearer(creator["key"]), "Content-Type": "application/json"}
        bill_ids: list[str] = creator["bill_ids"]
        share = len(bill_ids) // rounds
        mine = bill_ids[share * round_ : share * (round_ + 1)]
        for start in range(0, len(mine) - ITEMS_PER_REQUEST + 1, ITEMS_PER_REQUEST):
            body = {
                "bill_ids": mine[start : start + ITEMS_PER_REQUEST],
                "profile_id": creator["profile_id"],
                "address_id": creator["address_id"],
            }
            yield headers, body

    @task
    def create(self) -> None:
        batch = next(self.batches, None)
        if batch is None:
            _failures["bill pool exhausted"] = _failures.get("bill pool exhausted", 0) + 1
            raise StopUser()
        headers, body = batch
        with self.client.post(
            "/v1/invoice-requests", json=body, headers=headers, name="create", catch_response=True
        ) as response:
            if response.status_code != 201:
                response.failure(f"status {response.status_code}: {response.text[:200]}")


_deficit_users = itertools.count()


class CreateDeficit(Bench):
    """Each request settles an account's invoice deficit: every account owes over 20 over-invoiced
    bills and is asked once (5 fresh bills), so every creation carries 20 negative lines. Rounds and
    users take disjoint slices of the accounts."""

    def on_start(self) -> None:
        accounts: list[dict[str, Any]] = FIXTURES["deficit_creators"]
        users = int(os.environ.get("BENCH_USERS", "1"))
        rounds = int(os.environ.get("BENCH_ROUNDS", "1"))
        round_ = int(os.environ.get("BENCH_ROUND", "0"))
        share = len(accounts) // rounds
        mine = accounts[share * round_ : share * (round_ + 1)][next(_deficit_users) % users :: users]
        self.accounts = iter(mine)

    @task
    def create(self) -> None:
        account = next(self.accounts, None)
        if account is None:
            _failures["deficit accounts exhausted"] = _failures.get("deficit accounts exhausted", 0) + 1
            raise StopUser()
        body = {
            "bill_ids": account["bill_ids"],
            "profile_id": account["profile_id"],
            "address_id": account["address_id"],
        }
        headers = {**bearer(account["key"]), "Content-Type": "application/json"}
        with self.client.post(
            "/v1/invoice-requests", json=body, headers=headers, name="create deficit", catch_response=True
        ) as response:
            if response.status_code != 201:
                response.failure(f"status {response.status_code}: {response.text[:200]}")
            elif (
                sum(1 for item in response.json()["items"] if item["amount"].startswith("-"))
                != FIXTURES["deficit_items"]
            ):
                response.failure("the request did not settle the whole deficit")
