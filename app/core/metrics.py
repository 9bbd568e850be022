"""Prometheus metrics; summed across workers when PROMETHEUS_MULTIPROC_DIR is set."""

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter("invoicing_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "invoicing_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
INVOICE_REQUESTS_CREATED = Counter("invoicing_invoice_requests_created_total", "Invoice requests created")
INVOICE_REQUESTS_REFUSED = Counter(
    "invoicing_invoice_requests_refused_total", "Invoice requests refused", ["code"]
)
INVOICED_FEN = Counter("invoicing_issued_amount_fen_total", "Amount issued on invoices, in fen")
LOCK_ORDER_VIOLATIONS = Counter(
    "invoicing_account_lock_order_violations_total",
    "Accounts locked by a transaction that already had an id (the feed's order is then not promised)",
)


# The labelled children, kept per (method, route, status): `labels()` costs a lock and a few
# allocations per call, and the set of routes and statuses is small and fixed.
_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "OTHER"  # a client's method names no new series
    key = (method, route, status)
    children = _children.get(key)
    if children is None:
        children = (REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route))
        _children[key] = children
    children[0].inc()
    children[1].observe(seconds)


def render() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
