"""Domain counters on /metrics: invoice requests created, refused by code, amount issued."""

import re
import uuid

import httpx

from tests.factories import Api
from tests.requests.helpers import create, issue_whole, ready_customer, selection


def _value(text: str, name: str, labels: str = "") -> float:
    pattern = "^" + re.escape(name + (f"{{{labels}}}" if labels else "")) + r" (\S+)$"
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def _metrics(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return response.text


async def test_created_refused_and_issued_are_counted(client: httpx.AsyncClient, api: Api) -> None:
    before = await _metrics(client)
    ready = await ready_customer(api, bills=1, cash="123.45")
    request = await create(client, ready)
    refused = await client.post("/v1/invoice-requests", json=selection(ready), headers=ready.headers)
    assert refused.json()["code"] == "item_not_invoiceable"
    await issue_whole(client, api, request, number=f"M-{uuid.uuid4().hex[:12]}")
    after = await _metrics(client)

    created = "invoicing_invoice_requests_created_total"
    assert _value(after, created) - _value(before, created) == 1
    refused_name = "invoicing_invoice_requests_refused_total"
    code = 'code="item_not_invoiceable"'
    assert _value(after, refused_name, code) - _value(before, refused_name, code) == 1
    issued = "invoicing_issued_amount_fen_total"
    assert _value(after, issued) - _value(before, issued) == 12345
