"""Re-issue under concurrency, against a real `invoicing serve` (PostgreSQL with four workers,
SQLite with one): a re-issue racing finance's reverse lets exactly one through; a new request over
the same bill racing either never takes its amount while the replacement holds it; and the money
invariants hold in the database afterwards."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import Api
from tests.reliability.invariants import check_invariants
from tests.requests.helpers import invoice_number, ready_customer, red_invoices, selection
from tests.requests.races import Call, race_backends, race_bill, race_database, race_server
from tests.requests.test_concurrency import _at_once

pytestmark = pytest.mark.slow

RACES = 12
BACKENDS = race_backends(postgres_workers=4)


@pytest.mark.parametrize(("kind", "workers"), BACKENDS)
async def test_reissue_racing_reverse_and_new_requests_never_frees_the_amounts(
    kind: str, workers: int, fresh_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    database = await race_database(fresh_database_url(kind))
    database_url, finance = database.url, database.finance

    with race_server(database, tmp_path, workers) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            api = Api(http, database.billing_key, database.finance_key)
            ready = await ready_customer(api, bills=0)
            issued: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
            for n in range(RACES):
                bill = await race_bill(api, ready.customer.account_id, n)
                body = selection(ready, bills=[bill], cards=[])
                request = (await http.post("/v1/invoice-requests", json=body, headers=ready.headers)).json()
                path = f"/v1/invoice-requests/{request['id']}"
                assert (await http.post(f"{path}/start", headers=finance)).status_code == 200
                invoices = {"invoices": [{"number": invoice_number(), "amount": request["amount"]}]}
                response = await http.post(f"{path}/issue", json=invoices, headers=finance)
                assert response.status_code == 200, response.text
                issued.append((response.json()["id"], bill, response.json()))

        # Round 1: the customer re-issues while finance reverses and the customer requests the bill.
        calls: list[Call] = []
        for request_id, bill, _ in issued:
            path = f"/v1/invoice-requests/{request_id}"
            calls.append(("POST", f"{path}/reissue", {"reason": "Wrong header"}, ready.headers))
            calls.append(("POST", f"{path}/reverse", {"reason": "Wrong header"}, finance))
            body = selection(ready, bills=[bill], cards=[])
            calls.append(("POST", "/v1/invoice-requests", body, ready.headers))
        responses = await _at_once(server.base_url, calls)
        reissued: dict[str, str] = {}  # old request -> its replacement
        for index, (request_id, _, _) in enumerate(issued):
            reissue, reverse, new = responses[3 * index : 3 * index + 3]
            assert sorted([reissue.status_code, reverse.status_code]) in ([201, 409], [200, 409]), (
                reissue.text,
                reverse.text,
            )
            loser = reissue if reissue.status_code == 409 else reverse
            assert loser.json()["code"] == "invalid_transition", loser.text
            if reissue.status_code == 201:
                reissued[request_id] = reissue.json()["id"]
            # The bill's amount never became free: the new request was refused.
            assert new.status_code == 409 and new.json()["code"] == "item_not_invoiceable", new.text
        check_invariants(database_url, [ready.customer.account_id])

        # Round 2: finance records the red-letter invoices while the customer requests the bill again.
        calls = []
        for request_id, bill, blue in issued:
            body = {"invoices": red_invoices(blue)}
            calls.append(("POST", f"/v1/invoice-requests/{request_id}/red-invoices", body, finance))
            calls.append(
                ("POST", "/v1/invoice-requests", selection(ready, bills=[bill], cards=[]), ready.headers)
            )
        responses = await _at_once(server.base_url, calls)
        for index, (request_id, _, _) in enumerate(issued):
            recorded, new = responses[2 * index : 2 * index + 2]
            assert recorded.status_code == 200 and recorded.json()["status"] == "reversed", recorded.text
            if request_id in reissued:
                # Reversed, but the replacement still holds the amount: nothing to request.
                assert new.status_code == 409 and new.json()["code"] == "item_not_invoiceable", new.text
            else:
                # Released by the reversal: requested again, or refused if it came first.
                assert new.status_code in (201, 409), new.text
        check_invariants(database_url, [ready.customer.account_id])
        print(f"re-issued {len(reissued)} of {RACES}")
