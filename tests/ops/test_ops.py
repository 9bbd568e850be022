"""Health, readiness, metrics and logs."""

import asyncio
import json
import re
from pathlib import Path

import httpx
import pytest

from app.core.settings import Settings
from app.main import create_app
from tests.factories import Api
from tests.server import running_server


async def test_healthz_needs_no_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_on_a_migrated_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "tax_platform": "manual"}


async def test_readyz_is_503_problem_on_an_unmigrated_database(
    backend: str, fresh_database_url: object
) -> None:
    url = fresh_database_url(backend)  # type: ignore[operator]
    app = create_app(Settings(database_url=url, log_level="WARNING"))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            response = await http.get("/readyz")
    finally:
        await app.state.database.dispose()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_ready"


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient, api: Api) -> None:
    account_id = await api.account()
    await client.get(f"/v1/accounts/{account_id}", headers=api.billing)
    text = (await client.get("/metrics")).text
    assert re.search(
        r'invoicing_http_requests_total\{method="GET",route="/v1/accounts/\{account_id\}",status="200"\} \d',
        text,
    )
    assert "invoicing_http_request_duration_seconds_bucket" in text


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_two_workers_sum_metrics_and_log_json_lines_without_keys(
    backend: str, database_url: str, tmp_path: Path, billing_key: str
) -> None:
    with running_server(
        database_url, tmp_path, workers=2, extra_env={"INVOICING_LOG_LEVEL": "INFO"}
    ) as server:
        headers = {"Authorization": f"Bearer {billing_key}", "X-Request-ID": "metrics-probe"}
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            for _ in range(40):
                async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as fresh:  # new connection
                    assert (await fresh.get("/v1/events?limit=1", headers=headers)).status_code == 200
            # A request is counted (and logged) just after its response is sent: poll briefly.
            pattern = r'invoicing_http_requests_total\{method="GET",route="/v1/events",status="200"\} (\S+)'
            for _attempt in range(50):
                text = (await http.get("/metrics")).text
                match = re.search(pattern, text)
                if match is not None and float(match.group(1)) >= 40.0:
                    break
                await asyncio.sleep(0.1)
    log = server.log()  # after the server stopped: every access line is flushed
    assert match is not None, text[:2000]
    assert float(match.group(1)) == 40.0
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = [
        line
        for line in lines
        if line.get("logger") == "invoicing.access" and line.get("route") == "/v1/events"
    ]
    assert len(access) == 40
    assert {line["request_id"] for line in access} == {"metrics-probe"}
    assert {line["role"] for line in access} == {"billing"}
    assert billing_key not in log
