"""Slow and large requests against a real `invoicing serve` (issue 26.2), over raw sockets: a head
that trickles, a body that trickles, an oversized head, a connection that says nothing, and large
bodies without a key. Each is answered (408, 431, 401) and its connection closed within about the
configured time, and the body of a request without a key is never read."""

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from app.core.auth import Role
from app.core.settings import Settings
from app.main import create_app
from tests.factories import issue_staff_key
from tests.server import Server, running_server

TIMEOUT = 1.0  # INVOICING_HEADER_TIMEOUT_SECONDS and INVOICING_BODY_TIMEOUT_SECONDS here
MAX_HEADER = 16_384  # INVOICING_MAX_HEADER_BYTES default
UPLOAD = "/v1/invoice-requests/00000000-0000-0000-0000-000000000000/invoices/12345678/files/pdf"
NINE_MIB = 9 * 1024 * 1024


@pytest.fixture(scope="module")
async def finance_key(database_url: str) -> str:
    app = create_app(Settings(database_url=database_url, log_level="WARNING"))
    try:
        return await issue_staff_key(app, Role.finance)
    finally:
        await app.state.database.dispose()


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"INVOICING_HEADER_TIMEOUT_SECONDS": str(TIMEOUT), "INVOICING_BODY_TIMEOUT_SECONDS": str(TIMEOUT)}
    with running_server(database_url, tmp_path_factory.mktemp("slow"), extra_env=env) as running:
        yield running


def _port(server: Server) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def _connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", _port(server)), timeout=10)


def _read_to_close(sock: socket.socket) -> bytes:
    """Everything until the server closes the connection (a timeout here: it never did)."""
    received = b""
    while True:
        try:
            chunk = sock.recv(65_536)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def _status(response: bytes) -> int:
    assert response.startswith(b"HTTP/1.1 "), response[:200]
    return int(response.split(b" ", 2)[1])


def _assert_problem(response: bytes, status: int, code: str) -> None:
    head, _, body = response.partition(b"\r\n\r\n")
    assert _status(response) == status, response[:500]
    assert b"content-type: application/problem+json" in head.lower()
    assert b"connection: close" in head.lower()
    assert f'"code":"{code}"'.encode() in body, body


def _healthy(server: Server) -> None:
    assert httpx.get(server.base_url + "/healthz", timeout=5).status_code == 200


def test_a_head_that_trickles_is_408_and_closed(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: a")
        started = time.monotonic()
        for _ in range(3):  # still sending, a byte at a time: the deadline is for the whole head
            time.sleep(TIMEOUT / 4)
            sock.sendall(b"a")
        response = _read_to_close(sock)
        elapsed = time.monotonic() - started
    _assert_problem(response, 408, "request_timeout")
    assert TIMEOUT * 0.5 <= elapsed < TIMEOUT + 3, elapsed
    _healthy(server)


def test_a_connection_that_sends_nothing_is_closed(server: Server) -> None:
    with _connect(server) as sock:
        started = time.monotonic()
        assert _read_to_close(sock) == b""
        assert time.monotonic() - started < TIMEOUT + 3


def test_a_body_that_trickles_is_408_and_closed(server: Server, finance_key: str) -> None:
    head = (
        f"PUT {UPLOAD} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {finance_key}\r\n"
        "Content-Type: application/pdf\r\nContent-Length: 100000\r\n\r\n"
    ).encode()
    with _connect(server) as sock:
        sock.sendall(head + b"%PDF-")
        started = time.monotonic()
        for _ in range(3):
            time.sleep(TIMEOUT / 4)
            sock.sendall(b"0" * 10)
        response = _read_to_close(sock)
        elapsed = time.monotonic() - started
    _assert_problem(response, 408, "request_timeout")
    assert elapsed < TIMEOUT + 3, elapsed
    _healthy(server)


def test_a_head_over_the_limit_is_431(server: Server) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * MAX_HEADER + b"\r\n\r\n"
    with _connect(server) as sock:
        sock.sendall(head)
        response = _read_to_close(sock)
    _assert_problem(response, 431, "headers_too_large")
    at_limit = httpx.get(server.base_url + "/healthz", headers={"X-Fits": "a" * (MAX_HEADER - 200)})
    assert at_limit.status_code == 200


def test_an_8_mib_head_is_cut_off_not_read(server: Server) -> None:
    """The probe's 8 MiB header got a 200; now the server stops at the limit and closes."""
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ")
        sent = 0
        started = time.monotonic()
        try:
            while sent < 8 * 1024 * 1024:
                sock.sendall(b"a" * 65_536)
                sent += 65_536
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = _read_to_close(sock)
        elapsed = time.monotonic() - started
    assert sent < 8 * 1024 * 1024, "the server read the whole 8 MiB header"
    assert not response or _status(response) == 431, response[:300]
    assert elapsed < 5
    _healthy(server)


def _unauthenticated_upload(server: Server, length: int) -> socket.socket:
    sock = _connect(server)
    head = (
        f"PUT {UPLOAD} HTTP/1.1\r\nHost: t\r\nContent-Type: application/pdf\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()
    sock.sendall(head + b"%PDF-" + b"0" * 60_000)  # a first slice, far short of the body
    return sock


def test_a_9_mib_upload_without_a_key_is_401_before_its_body(server: Server) -> None:
    with _unauthenticated_upload(server, NINE_MIB) as sock:
        started = time.monotonic()
        response = _read_to_close(sock)  # answered and closed with 9 MiB still unsent
        elapsed = time.monotonic() - started
    _assert_problem(response, 401, "unauthenticated")
    assert b"www-authenticate: bearer" in response.lower()
    assert elapsed < 2, elapsed


def test_twenty_partial_uploads_without_a_key_are_all_refused_and_closed(server: Server) -> None:
    """The probe's 20 partial 9 MiB uploads held their connections (and ~170 MB) past 20 s."""
    sockets = [_unauthenticated_upload(server, NINE_MIB) for _ in range(20)]
    started = time.monotonic()
    try:
        responses = [_read_to_close(sock) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
    assert time.monotonic() - started < 5
    assert [_status(response) for response in responses] == [401] * 20
    _healthy(server)


async def test_a_valid_key_still_uploads_through_the_guards(server: Server, finance_key: str) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        response = await http.put(
            UPLOAD,
            content=b"%PDF-" + b"0" * (2 * 1024 * 1024),
            headers={"Authorization": f"Bearer {finance_key}", "Content-Type": "application/pdf"},
        )
    assert response.status_code == 404, response.text  # past every guard: the route's own answer
