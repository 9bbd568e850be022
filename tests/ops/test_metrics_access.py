"""Who may read /metrics (issue 26.5): its figures sum money across every tenant. With
INVOICING_METRICS_TOKEN set, only `Authorization: Bearer <token>`; unset, only loopback clients that
no proxy forwarded. API keys, of any role, are not the token."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from app.core.settings import Settings
from app.main import create_app
from tests.factories import Api, bearer

TOKEN = "metrics-token-0123456789abcdef"


@asynccontextmanager
async def serving(settings: Settings, peer: tuple[str, int]) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=peer)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://metrics.test") as http:
            yield http
    finally:
        await app.state.database.dispose()


def _assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert "invoicing_" not in response.text


@pytest.mark.parametrize("peer", ["127.0.0.1", "127.8.9.10", "::1"])
async def test_without_a_token_a_loopback_client_reads_the_metrics(settings: Settings, peer: str) -> None:
    async with serving(settings, (peer, 40000)) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    assert "invoicing_http_requests_total" in response.text


@pytest.mark.parametrize("peer", ["203.0.113.9", "10.0.0.5", "::ffff:203.0.113.9", "testclient"])
async def test_without_a_token_any_other_client_is_refused(settings: Settings, peer: str) -> None:
    async with serving(settings, (peer, 40000)) as http:
        _assert_problem(await http.get("/metrics"), 403, "forbidden")


@pytest.mark.parametrize(
    "header",
    [
        {"X-Forwarded-For": "203.0.113.9"},
        {"Forwarded": "for=203.0.113.9"},
        {"X-Real-IP": "203.0.113.9"},
    ],
)
async def test_without_a_token_a_request_a_proxy_forwarded_is_refused(
    settings: Settings, header: dict[str, str]
) -> None:
    """A reverse proxy on the same host connects from loopback: its forwarding headers give it away."""
    async with serving(settings, ("127.0.0.1", 40000)) as http:
        _assert_problem(await http.get("/metrics", headers=header), 403, "forbidden")


async def test_with_a_token_only_the_token_reads_the_metrics(settings: Settings, api: Api) -> None:
    guarded = settings.model_copy(update={"metrics_token": Settings(metrics_token=TOKEN).metrics_token})
    for peer in ("127.0.0.1", "203.0.113.9"):
        async with serving(guarded, (peer, 40000)) as http:
            for headers in (
                {},
                {"Authorization": "Bearer"},
                {"Authorization": f"Bearer {TOKEN}x"},
                {"Authorization": f"Bearer {TOKEN[:-1]}"},
                {"Authorization": f"Basic {TOKEN}"},
                bearer(api.billing_key),
                bearer(api.finance_key),
            ):
                response = await http.get("/metrics", headers=headers)
                _assert_problem(response, 401, "unauthenticated")
                assert response.headers["www-authenticate"] == "Bearer"
            for scheme in ("Bearer", "bearer"):
                response = await http.get("/metrics", headers={"Authorization": f"{scheme} {TOKEN}"})
                assert response.status_code == 200, response.text[:300]
                assert "invoicing_http_requests_total" in response.text


def test_a_short_token_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="metrics_token"):
        Settings(metrics_token="short")
