"""Ageing: `due_at` is creation plus INVOICING_SLA_BUSINESS_DAYS weekdays of the Shanghai calendar,
and /metrics has the age of the oldest open request by status."""

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from app.requests.ageing import due_at
from tests.factories import Api
from tests.requests.helpers import create, move, ready_customer


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(
    ("created", "days", "due"),
    [
        # Thursday 10:00 in Shanghai (02:00 UTC): Friday 10:00.
        ("2026-12-03T02:00:00+00:00", 1, "2026-12-04T02:00:00+00:00"),
        # Friday 10:00: the weekend does not count, Monday 10:00.
        ("2026-12-04T02:00:00+00:00", 1, "2026-12-07T02:00:00+00:00"),
        # Friday 20:00 UTC is Saturday 04:00 in Shanghai: Monday 04:00 there (Sunday 20:00 UTC).
        ("2026-12-04T20:00:00+00:00", 1, "2026-12-06T20:00:00+00:00"),
        # Thursday 15:59 UTC is Thursday 23:59 in Shanghai: three weekdays is Tuesday 23:59.
        ("2026-12-03T15:59:00+00:00", 3, "2026-12-08T15:59:00+00:00"),
        ("2026-12-05T01:00:00+00:00", 0, "2026-12-05T01:00:00+00:00"),
        # Ten weekdays: two whole weeks.
        ("2026-12-01T02:00:00+00:00", 10, "2026-12-15T02:00:00+00:00"),
    ],
)
def test_due_at_counts_shanghai_weekdays(created: str, days: int, due: str) -> None:
    result = due_at(datetime.fromisoformat(created), days)
    assert result == datetime.fromisoformat(due)
    assert result.tzinfo is not None and result.utcoffset() == timedelta(0)


async def test_every_request_shows_its_due_time(client: httpx.AsyncClient, api: Api) -> None:
    ready = await ready_customer(api, bills=1)
    request = await create(client, ready)
    assert _utc(request["due_at"]) == due_at(_utc(request["created_at"]), 1)
    assert request["overdue"] is False
    read = (await client.get(f"/v1/invoice-requests/{request['id']}", headers=api.finance)).json()
    assert read["due_at"] == request["due_at"]
    listed = (
        await client.get(
            "/v1/invoice-requests", params={"account_id": ready.customer.account_id}, headers=api.finance
        )
    ).json()["data"]
    assert _utc(listed[0]["due_at"]) == _utc(request["due_at"])


async def test_metrics_show_the_oldest_open_request_by_status(
    client: httpx.AsyncClient, api: Api, app: FastAPI
) -> None:
    ready = await ready_customer(api, bills=2)
    await create(client, ready, bills=[ready.bills[0]])
    started = await create(client, ready, bills=[ready.bills[1]])
    assert (await move(client, api, started["id"], "start")).status_code == 200
    text = (await client.get("/metrics")).text
    ages = dict(re.findall(r'invoicing_oldest_open_request_age_seconds\{status="(\w+)"\} ([0-9.e+]+)', text))
    assert set(ages) == {"pending", "processing"}
    # The database is shared by the session's tests: at least as old as ours, never negative.
    assert all(float(age) >= 0 for age in ages.values())
    oldest = datetime.now(UTC) - _utc(started["created_at"])
    assert float(ages["processing"]) >= oldest.total_seconds() - 1
