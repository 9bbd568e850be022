"""GET /v1/invoice-requests/export: the filtered requests as CSV (UTF-8 with a BOM) or XLSX, one row
per request line, read back and checked amount by amount; batches never lose or repeat a row."""

import csv
import io
import uuid
from typing import Any

import httpx
import openpyxl
import pytest

from app.requests import export
from tests.factories import Api, make_bill, make_card
from tests.requests.helpers import Ready, create, issue_whole, ready_customer


def _expected(requests: list[dict[str, Any]], account_name: str) -> list[list[str]]:
    """The rows the export must hold for `requests` (newest first), from their full responses."""
    rows = []
    for request in requests:
        for line, item in enumerate(request["items"], start=1):
            rows.append(
                [
                    request["id"],
                    request["status"],
                    request["account_id"],
                    account_name,
                    request["profile"]["title"],
                    request["profile"]["taxpayer_id"],
                    request["invoice_type"],
                    request["amount"],
                    " ".join(invoice["number"] for invoice in request["invoices"]),
                    request["created_at"],
                    request["due_at"],
                    str(line),
                    item["kind"],
                    item["label"],
                    item["amount"],
                ]
            )
    return rows


def _cells(sheet: Any) -> list[list[str]]:
    """A sheet's rows as text; an empty text cell reads back as an empty cell (None)."""
    return [["" if cell is None else cell for cell in row] for row in sheet.iter_rows(values_only=True)]


async def _desk(client: httpx.AsyncClient, api: Api) -> tuple[Ready, list[dict[str, Any]]]:
    """Three requests of one customer with a Chinese title: two lines (a bill and a card), one
    issued, one of a single bill."""
    token = uuid.uuid4().hex[:8]
    ready = await ready_customer(api, bills=0, enterprise_name=f"福州{token}网络科技有限公司")
    account = ready.customer.account_id
    ready.bills = [
        await make_bill(api, account, period="2026-01", cash="1024.50"),
        await make_bill(api, account, period="2026-02", cash="0.07"),
        await make_bill(api, account, period="2026-03", cash="333.33"),
    ]
    ready.cards = [await make_card(api, account, card_no=f"SVC-{token}")]
    first = await create(client, ready, bills=[ready.bills[0]], cards=ready.cards)
    second = await create(client, ready, bills=[ready.bills[1]], cards=[])
    issued = await issue_whole(client, api, second, "EX-" + token.upper())
    third = await create(client, ready, bills=[ready.bills[2]], cards=[])
    made = []
    for request in (third, issued, first):
        response = await client.get(f"/v1/invoice-requests/{request['id']}", headers=api.finance)
        made.append(response.json())
    return ready, made


async def _export(
    client: httpx.AsyncClient, api: Api, accept: str | None = None, **params: Any
) -> httpx.Response:
    headers = dict(api.finance, **({"Accept": accept} if accept else {}))
    response = await client.get("/v1/invoice-requests/export", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response


async def test_csv_has_a_bom_a_header_and_every_line_with_its_amount(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready, made = await _desk(client, api)
    response = await _export(client, api, account_id=ready.customer.account_id)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="invoice-requests.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == list(export.HEADER)
    assert rows[1:] == _expected(made, "Acme Cloud Ltd.")
    amounts = [row[-1] for row in rows[1:]]
    assert amounts == ["333.33", "0.07", "1024.50", made[2]["items"][1]["amount"]]
    assert "网络科技有限公司" in rows[1][4]


async def test_xlsx_holds_the_same_rows_as_text(client: httpx.AsyncClient, api: Api) -> None:
    ready, made = await _desk(client, api)
    response = await _export(client, api, accept=export.XLSX_TYPE, account_id=ready.customer.account_id)
    assert response.headers["content-type"] == export.XLSX_TYPE
    assert response.headers["content-disposition"] == 'attachment; filename="invoice-requests.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    assert sheet is not None
    rows = _cells(sheet)
    assert rows[0] == list(export.HEADER)
    assert rows[1:] == _expected(made, "Acme Cloud Ltd.")  # strings, amounts with two decimals


async def test_the_export_takes_the_lists_filters(client: httpx.AsyncClient, api: Api) -> None:
    ready, made = await _desk(client, api)
    response = await _export(client, api, account_id=ready.customer.account_id, status="issued")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    assert rows == _expected([made[1]], "Acme Cloud Ltd.")
    title = made[0]["profile"]["title"]
    rows = list(
        csv.reader(io.StringIO((await _export(client, api, title=title[2:10])).text.lstrip("\ufeff")))
    )
    assert [row[0] for row in rows[1:]] == [made[0]["id"], made[1]["id"], made[2]["id"], made[2]["id"]]
    nothing = await _export(client, api, account_id=ready.customer.account_id, amount_min="5000")
    assert nothing.content == "\ufeff".encode() + (",".join(export.HEADER) + "\r\n").encode()


async def test_batches_neither_lose_nor_repeat_a_row(
    client: httpx.AsyncClient, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    ready = await ready_customer(api, bills=5)
    made = [await create(client, ready, bills=[bill]) for bill in ready.bills]
    monkeypatch.setattr(export, "BATCH", 2)
    for accept in (None, export.XLSX_TYPE):
        response = await _export(client, api, accept, account_id=ready.customer.account_id)
        if accept is None:
            rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
        else:
            sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
            assert sheet is not None
            rows = _cells(sheet)[1:]
        assert [row[0] for row in rows] == [request["id"] for request in reversed(made)]
        assert [row[-1] for row in rows] == ["100.00"] * 5


async def test_only_finance_exports_and_unknown_parameters_are_refused(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=1)
    response = await client.get("/v1/invoice-requests/export", headers=ready.headers)
    assert response.status_code == 403
    for params, field in (
        ({"limit": "10"}, "query.limit"),
        ({"amount_min": "2", "amount_max": "1"}, "query.amount_min"),
    ):
        response = await client.get("/v1/invoice-requests/export", params=params, headers=api.finance)
        assert response.status_code == 422, response.text
        assert [error["field"] for error in response.json()["errors"]] == [field]
