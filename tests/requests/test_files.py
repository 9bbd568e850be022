"""Invoice files through the HTTP API: finance uploads pdf/ofd/xml per invoice while the request
is issued or delivered; the request's customer and finance download them (ETag, 304); anyone else
gets 404; bodies that are not the format, too large, or in the wrong state are refused."""

import hashlib
import io
import uuid
import zipfile

import httpx
import pytest
from fastapi import FastAPI

from app.core.auth import AuthContext, Role
from app.requests import files
from app.requests.filetypes import FileFormat
from tests.factories import Api, bearer
from tests.requests.helpers import (
    PDF_BYTES,
    XML_BYTES,
    create,
    move,
    ofd_bytes,
    ready_customer,
    reverse_fully,
    to_status,
    upload,
)


def _url(request: dict[str, object], number: str, file_format: str) -> str:
    return f"/v1/invoice-requests/{request['id']}/invoices/{number}/files/{file_format}"


async def test_upload_lists_each_file_and_the_customer_downloads_the_same_bytes(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=1, invoice_type="electronic_ordinary")
    request = await to_status(client, api, ready, "issued")
    number = request["invoices"][0]["number"]
    assert request["invoices"][0]["files"] == []
    ofd = ofd_bytes()
    for file_format, data in (("pdf", PDF_BYTES), ("xml", XML_BYTES), ("ofd", ofd)):
        response = await upload(client, api, request, file_format, data)
        assert response.status_code == 200, response.text
    files = response.json()["invoices"][0]["files"]
    assert files == [
        {
            "format": file_format,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "url": _url(request, number, file_format),
        }
        for file_format, data in (("pdf", PDF_BYTES), ("ofd", ofd), ("xml", XML_BYTES))
    ]
    # The same listing on every read of the request, for both roles (the list carries summaries).
    for headers in (ready.headers, api.finance):
        read = (await client.get(f"/v1/invoice-requests/{request['id']}", headers=headers)).json()
        assert read["invoices"][0]["files"] == files
        page = (await client.get("/v1/invoice-requests", params={"status": "issued"}, headers=headers)).json()
        assert request["id"] in [row["id"] for row in page["data"]]

    for file_format, data, media in (
        ("pdf", PDF_BYTES, "application/pdf"),
        ("ofd", ofd, "application/ofd"),
        ("xml", XML_BYTES, "application/xml"),
    ):
        for headers in (ready.headers, api.finance):
            got = await client.get(_url(request, number, file_format), headers=headers)
            assert got.status_code == 200, got.text
            assert got.content == data
            assert got.headers["content-type"] == media
            assert got.headers["content-disposition"] == f'attachment; filename="{number}.{file_format}"'
            assert got.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'


async def test_if_none_match_answers_304_until_the_file_changes(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    request = await to_status(client, api, ready, "issued")
    assert (await upload(client, api, request)).status_code == 200
    url = _url(request, request["invoices"][0]["number"], "pdf")
    etag = (await client.get(url, headers=ready.headers)).headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        cached = await client.get(url, headers={**ready.headers, "If-None-Match": header})
        assert cached.status_code == 304, header
        assert cached.content == b""
        assert cached.headers["etag"] == etag
    assert (await client.get(url, headers={**ready.headers, "If-None-Match": '"other"'})).status_code == 200

    # Replacing the file (PUT again) changes the tag; the same bytes again change nothing.
    replacement = PDF_BYTES + b"% revised\n"
    assert (await upload(client, api, request, "pdf", replacement)).status_code == 200
    assert (await upload(client, api, request, "pdf", replacement)).status_code == 200
    fresh = await client.get(url, headers={**ready.headers, "If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.content == replacement
    assert fresh.headers["etag"] != etag


async def test_downloads_are_never_stored_by_a_cache_and_still_revalidate(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=1)
    request = await to_status(client, api, ready, "issued")
    assert (await upload(client, api, request)).status_code == 200
    url = _url(request, request["invoices"][0]["number"], "pdf")
    for headers in (ready.headers, api.finance):
        got = await client.get(url, headers=headers)
        assert got.status_code == 200
        assert got.headers["cache-control"] == "no-store"
        cached = await client.get(url, headers={**headers, "If-None-Match": got.headers["etag"]})
        assert cached.status_code == 304
        assert cached.headers["cache-control"] == "no-store"
        assert cached.headers["etag"] == got.headers["etag"]


async def test_another_customer_and_other_roles_cannot_download(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    request = await to_status(client, api, ready, "issued")
    assert (await upload(client, api, request)).status_code == 200
    url = _url(request, request["invoices"][0]["number"], "pdf")
    other = await ready_customer(api, bills=1)
    response = await client.get(url, headers=other.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert (await client.get(url, headers=api.billing)).status_code == 403
    assert (await client.get(url)).status_code == 401
    # Customers never upload; a file that was never uploaded, or an unknown invoice, is 404.
    upload_by_customer = await client.put(
        url, content=PDF_BYTES, headers={**ready.headers, "Content-Type": "application/pdf"}
    )
    assert upload_by_customer.status_code == 403
    assert (await client.get(url.replace("/pdf", "/ofd"), headers=ready.headers)).status_code == 404
    assert (
        await client.get(url.replace(request["invoices"][0]["number"], "NOPE"), headers=ready.headers)
    ).status_code == 404
    assert (await client.get(url.replace("/pdf", "/docx"), headers=ready.headers)).status_code == 422


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<lolz>&lol2;</lolz>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>"""


@pytest.mark.parametrize(
    ("file_format", "data"),
    [
        ("pdf", b"hello, not a pdf"),
        ("pdf", b""),
        ("pdf", XML_BYTES),
        ("ofd", PDF_BYTES),
        ("ofd", b"PK\x03\x04 truncated zip"),
        ("ofd", _zip(["Doc_0/Document.xml"])),  # a ZIP, but not an OFD (no OFD.xml)
        ("xml", b"<unclosed>"),
        ("xml", PDF_BYTES),
        ("xml", BILLION_LAUGHS),
        ("xml", XXE),
    ],
)
async def test_a_body_that_is_not_the_format_is_422(
    client: httpx.AsyncClient, api: Api, file_format: str, data: bytes
) -> None:
    ready = await ready_customer(api, bills=1)
    request = await to_status(client, api, ready, "issued")
    response = await upload(client, api, request, file_format, data)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"][0]["field"] == "body"


async def test_wrong_content_type_is_415_and_too_large_is_413(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    request = await to_status(client, api, ready, "issued")
    response = await upload(client, api, request, "pdf", PDF_BYTES, content_type="application/octet-stream")
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "unsupported_media_type"
    assert (
        await upload(client, api, request, "xml", XML_BYTES, content_type="text/xml; charset=utf-8")
    ).status_code == 200

    limit = 10 * 1024 * 1024
    too_large = PDF_BYTES + b"0" * (limit + 1 - len(PDF_BYTES))
    response = await upload(client, api, request, "pdf", too_large)
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "payload_too_large"
    at_limit = too_large[:limit]
    response = await upload(client, api, request, "pdf", at_limit)
    assert response.status_code == 200, response.text
    assert response.json()["invoices"][0]["files"][0]["size"] == limit
    # Every other body keeps the 1 MiB limit.
    response = await client.post(
        "/v1/mailing-addresses", content=b"{" + b" " * (2 * 1024 * 1024) + b"}", headers=ready.headers
    )
    assert response.status_code == 413


@pytest.mark.parametrize("status", ["pending", "processing", "cancelled", "rejected"])
async def test_files_can_only_be_uploaded_while_issued_or_delivered(
    client: httpx.AsyncClient, api: Api, status: str
) -> None:
    ready = await ready_customer(api, bills=1)
    request = await to_status(client, api, ready, status)
    response = await client.put(
        f"/v1/invoice-requests/{request['id']}/invoices/ANY-NUMBER/files/pdf",
        content=PDF_BYTES,
        headers={**api.finance, "Content-Type": "application/pdf"},
    )
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "invalid_transition"


async def test_after_a_reversal_files_can_be_downloaded_but_not_uploaded(
    client: httpx.AsyncClient, api: Api
) -> None:
    ready = await ready_customer(api, bills=1)
    request = await to_status(client, api, ready, "delivered")
    assert (await upload(client, api, request)).status_code == 200  # delivered: still uploadable
    reversed_ = await reverse_fully(client, api, request["id"], "Wrong title")
    assert reversed_.status_code == 200, reversed_.text
    url = _url(request, request["invoices"][0]["number"], "pdf")
    got = await client.get(url, headers=ready.headers)
    assert got.status_code == 200
    assert got.content == PDF_BYTES
    response = await upload(client, api, request, "xml", XML_BYTES)
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


async def test_upload_to_an_unknown_request_or_invoice_is_404(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    request = await to_status(client, api, ready, "issued")
    response = await upload(client, api, request, number="NOT-ITS-NUMBER")
    assert response.status_code == 404
    unknown = {**request, "id": "0b7e1e0c-8a4e-4c1e-9a53-2f1d7c3b9a10"}
    assert (await upload(client, api, unknown)).status_code == 404
    assert (await upload(client, api, {**request, "id": "not-a-uuid"})).status_code == 404
    # A finance key of its own reads the same; the download route is the same path.
    assert (
        await client.get(
            _url(request, request["invoices"][0]["number"], "pdf"), headers=bearer(api.finance_key)
        )
    ).status_code == 404


async def test_split_invoices_each_take_their_own_files(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=2, invoice_type="electronic_ordinary")
    request = await create(client, ready)
    assert (await move(client, api, request["id"], "start")).status_code == 200
    issued = await move(
        client,
        api,
        request["id"],
        "issue",
        {
            "invoices": [
                {"number": "SPLIT-A-" + request["id"][:8], "amount": "100.00"},
                {"number": "SPLIT-B-" + request["id"][:8], "amount": "100.00"},
            ]
        },
    )
    assert issued.status_code == 200, issued.text
    request = issued.json()
    first, second = (invoice["number"] for invoice in request["invoices"])
    response = await upload(client, api, request, number=first)
    assert "deliver" not in response.json()["allowed_moves"]  # the second has no PDF yet
    delivered = await move(client, api, request["id"], "deliver")
    assert delivered.status_code == 409
    assert delivered.json()["invoices"] == [second]
    response = await upload(client, api, request, "pdf", PDF_BYTES + b"%2\n", number=second)
    assert [len(invoice["files"]) for invoice in response.json()["invoices"]] == [1, 1]
    assert "deliver" in response.json()["allowed_moves"]
    assert (await move(client, api, request["id"], "deliver")).status_code == 200


async def test_a_file_replaced_between_its_listing_and_its_bytes_is_read_as_replaced(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    """A read session holds no snapshot: the metadata and the bytes are two statements, and a
    replacement may land between them. The reader gets the new file whole (its ETag and bytes),
    never the old metadata with missing bytes (which was a 500)."""
    ready = await ready_customer(api, bills=1, invoice_type="electronic_ordinary")
    request = await to_status(client, api, ready, "issued")
    number = request["invoices"][0]["number"]
    assert (await upload(client, api, request, "pdf", PDF_BYTES)).status_code == 200
    newer = PDF_BYTES.replace(b"%%EOF", b"% replaced\n%%EOF")
    finance = AuthContext(key_id=uuid.uuid4(), role=Role.finance, account_id=None)
    request_id = uuid.UUID(str(request["id"]))
    database = app.state.database
    async with database.read_session() as session:
        listed = await files.find(session, finance, request_id, number, FileFormat.pdf)
        assert (await upload(client, api, request, "pdf", newer)).status_code == 200  # meanwhile
        stored, data = await files.read(session, finance, request_id, listed)
    assert data == newer
    assert stored.sha256 == hashlib.sha256(newer).hexdigest() != listed.sha256
    # And through the API: the download carries the replacement's bytes and ETag.
    response = await client.get(_url(request, number, "pdf"), headers=ready.headers)
    assert response.content == newer
    assert response.headers["etag"] == f'"{stored.sha256}"'
