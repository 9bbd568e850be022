"""Two moves of one request at once, against a real `invoicing serve` (PostgreSQL with two workers,
SQLite with one): exactly one wins, the other is told 409 `invalid_transition`, never a deadlock
answered 503. Before every move locked the account first, a customer's cancel (account, then
request) racing finance's start (request, then the account by its event's foreign key) deadlocked
in about half the races (issue 26, point 3)."""

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.factories import Api
from tests.requests.helpers import ready_customer, selection
from tests.requests.races import Call, race_backends, race_bill, race_database, race_server
from tests.requests.test_concurrency import _at_once

pytestmark = pytest.mark.slow

RACES = 24
BACKENDS = race_backends(postgres_workers=2)


@pytest.mark.parametrize(("kind", "workers"), BACKENDS)
async def test_cancel_racing_start_lets_exactly_one_through(
    kind: str, workers: int, fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    database = await race_database(fresh_database_url(kind))
    finance = database.finance

    with race_server(database, tmp_path, workers) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            api = Api(http, database.billing_key, database.finance_key)
            ready = await ready_customer(api, bills=0)
            ids = []
            for n in range(RACES):
                bill = await race_bill(api, ready.customer.account_id, n)
                response = await http.post(
                    "/v1/invoice-requests",
                    json=selection(ready, bills=[bill], cards=[]),
                    headers=ready.headers,
                )
                assert response.status_code == 201, response.text
                ids.append(response.json()["id"])

        calls: list[Call] = []
        for request_id in ids:
            calls.append(("POST", f"/v1/invoice-requests/{request_id}/cancel", None, ready.headers))
            calls.append(("POST", f"/v1/invoice-requests/{request_id}/start", None, finance))
        responses = await _at_once(server.base_url, calls)

        winners = {"cancelled": 0, "processing": 0}
        for pair in range(RACES):
            cancel, start = responses[2 * pair], responses[2 * pair + 1]
            statuses = sorted([cancel.status_code, start.status_code])
            assert statuses == [200, 409], (cancel.text, start.text)
            loser = cancel if cancel.status_code == 409 else start
            assert loser.json()["code"] == "invalid_transition", loser.text
            winner = start if loser is cancel else cancel
            winners[winner.json()["status"]] += 1
        print(winners)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            for request_id in ids:
                got = (await http.get(f"/v1/invoice-requests/{request_id}", headers=finance)).json()
                assert got["status"] in ("cancelled", "processing")
                assert [e["status"] for e in got["events"]] == ["pending", got["status"]]
        log = server.log()
        assert "Traceback" not in log
        assert "deadlock" not in log.lower()
