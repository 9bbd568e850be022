"""GET /v1/invoice-requests/export: the filtered requests as CSV (UTF-8 with a BOM) or XLSX, one row
per issued invoice line (or request line before issuing), read back and checked amount by amount;
batches never lose or repeat a row."""

import csv
import io
import uuid
from typing import Any

import httpx
import openpyxl
import pytest

from app.requests import export
from tests.factories import Api, make_bill, make_card
from tests.requests.helpers import Ready, create, issue_whole, ready_customer, to_status


def _expected(requests: list[dict[str, Any]], account_name: str) -> list[list[str]]:
    """The rows the export must hold for `requests` (newest first), from their full responses: a
    row per line of each invoice, blue then red, or per request line while none is issued."""
    rows = []
    for request in requests:
        head = [
            request["id"],
            request["status"],
            request["account_id"],
            account_name,
            request["profile"]["title"],
            request["profile"]["taxpayer_id"],
            request["invoice_type"],
            request["amount"],
            request["created_at"],
            request["due_at"],
        ]
        invoices = [(invoice, "") for invoice in request["invoices"]]
        reds = (request["red_letter"] or {}).get("red_invoices", [])
        invoices += [(red, red["blue_number"]) for red in reds]
        for invoice, blue_number in invoices:
            for position, line in enumerate(invoice["lines"], start=1):
                rows.append(
                    [
                        *head,
                        invoice["number"],
                        blue_number,
                        invoice["issued_at"],
                        str(position),
                        "",
                        "",
                        line["item_name"],
                        line["tax_category_code"],
                        line["tax_rate"],
                        line["amount"],
                        line["amount_excluding_tax"],
                        line["tax_amount"],
                    ]
                )
        if not invoices:
            for position, item in enumerate(request["items"], start=1):
                terms = [item["item_name"], item["tax_category_code"], item["tax_rate"]]
                rows.append(
                    [
                        *head,
                        "",
                        "",
                        "",
                        str(position),
                        item["kind"],
                        item["label"],
                        *terms,
                        item["amount"],
                        "",
                        "",
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
    amount = export.HEADER.index("amount")
    amounts = [row[amount] for row in rows[1:]]
    assert amounts == ["333.33", "0.07", "1024.50", made[2]["items"][1]["amount"]]
    issued = rows[2]
    assert issued[export.HEADER.index("invoice_number")] == made[1]["invoices"][0]["number"]
    assert issued[amount:] == ["0.07", "0.07", "0.00"]  # 7 fen at 6%: the tax rounds to nothing
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
        assert [row[export.HEADER.index("amount")] for row in rows] == ["100.00"] * 5


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


async def test_a_reversed_request_exports_its_blue_and_red_lines_with_their_tax(
    client: httpx.AsyncClient, api: Api
) -> None:
    """Two tax rates make a blue invoice of two lines; the red-letter invoice mirrors them negated."""
    ready = await ready_customer(api, bills=0)
    account = ready.customer.account_id
    ready.bills = []
    for period, amount, rate in (("2025-01", "600.00", "0.06"), ("2025-02", "113.00", "0.13")):
        body = {"total_amount": amount, "cash_amount": amount, "voucher_amount": "0.00"}
        body |= {"stored_value_card_amount": "0.00", "tax_rate": rate}
        response = await client.put(f"/v1/accounts/{account}/bills/{period}", json=body, headers=api.billing)
        assert response.status_code in (200, 201), response.text
        ready.bills.append(response.json())
    reversed_ = await to_status(client, api, ready, "reversed")
    full = (await client.get(f"/v1/invoice-requests/{reversed_['id']}", headers=api.finance)).json()
    rows = list(
        csv.reader(io.StringIO((await _export(client, api, account_id=account)).text.lstrip("\ufeff")))
    )
    assert rows[1:] == _expected([full], "Acme Cloud Ltd.")
    column = {name: export.HEADER.index(name) for name in export.HEADER}
    blue, red = full["invoices"][0]["number"], full["red_letter"]["red_invoices"][0]["number"]
    names = (
        "invoice_number",
        "blue_invoice_number",
        "tax_rate",
        "amount",
        "amount_excluding_tax",
        "tax_amount",
    )
    got = [tuple(row[column[name]] for name in names) for row in rows[1:]]
    assert sorted(got) == sorted(
        [
            (blue, "", "0.06", "600.00", "566.04", "33.96"),
            (blue, "", "0.13", "113.00", "100.00", "13.00"),
            (red, blue, "0.06", "-600.00", "-566.04", "-33.96"),
            (red, blue, "0.13", "-113.00", "-100.00", "-13.00"),
        ]
    )
    assert [row[column["invoice_number"]] for row in rows[1:]][:2] == [blue, blue]  # blue first
