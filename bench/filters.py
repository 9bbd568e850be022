"""The finance desk's search filters (SPEC §9) as `make bench` measures them: one finance list per
filter, 50 to a page, on the data bench/seed.py seeds, and two of them deep (from the position the
unfiltered deep page starts at: the cursor is a position in the one order every list keeps).

Shared by bench/run.py (the phases and their verdicts) and bench/locustfile.py (the load; locust
runs with the repository on PYTHONPATH). Imports nothing of the service."""

from typing import Any

# phase name -> (label, query); the names in braces come from the fixtures.
FINANCE_FILTERS: dict[str, tuple[str, str]] = {
    "invoice_number": ("?invoice_number=inv0000000300 (exact, any case)", "invoice_number=inv0000000300"),
    "taxpayer_id": ("?taxpayer_id=… (exact; every seeded request has it)", "taxpayer_id={taxpayer_id}"),
    "title": ("?title=enterprise 00042 (substring, any case)", "title=enterprise%2000042"),
    "amount range": ("?amount_min=1000.00&amount_max=1100.00", "amount_min=1000.00&amount_max=1100.00"),
    "seller_id": ("?seller_id=… (the default seller: every request)", "seller_id={seller_id}"),
    "issued": ("?issued_from=2026-10-01&issued_to=2026-10-31", "issued_from=2026-10-01&issued_to=2026-10-31"),
    "overdue": ("?overdue=true", "overdue=true"),
    "taxpayer_id deep": (
        "?taxpayer_id=… from ~50,000 deep (keyset cursor)",
        "taxpayer_id={taxpayer_id}&cursor={deep_cursor}",
    ),
    "overdue deep": ("?overdue=true from the same position", "overdue=true&cursor={deep_cursor}"),
}
# deep phase -> its first page: deep p50 / first p50 <= DEEP_TARGET, as the unfiltered list.
FILTERED_DEEP = {"taxpayer_id deep": "taxpayer_id", "overdue deep": "overdue"}


def filter_path(name: str, fixtures: dict[str, Any]) -> str:
    query = FINANCE_FILTERS[name][1].format(
        seller_id=fixtures["seller_id"],
        taxpayer_id=fixtures["taxpayer_id"],
        deep_cursor=fixtures["deep_cursor"],
    )
    return f"/v1/invoice-requests?{query}&limit=50"
