"""Contract fuzzing: schemathesis drives every operation of the app's own OpenAPI document, once
per role's key, in-process over ASGI, with every check it has (and one of ours: every error is a
problem document). Examples, coverage, fuzzing and stateful phases all run; a failure anywhere fails
the test with schemathesis's own report of it.

`make fuzz` runs the same test with many more examples (INVOICING_FUZZ_EXAMPLES)."""

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis.engine import Status, events

from app.core.errors import PROBLEM_MEDIA_TYPE
from app.core.settings import Settings
from app.main import create_app
from tests.reliability.world import CUSTOMERS, World, record_figures

pytestmark = pytest.mark.slow

# Examples per operation and phase in `make test`; `make fuzz` raises it.
IN_SUITE_EXAMPLES = {"sqlite": 20, "postgres": 8}
ROLE_IDENTITY = {"customer": "alice", "billing": "billing", "finance": "finance"}


@schemathesis.check
def errors_are_problem_documents(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx/5xx is RFC 9457 application/problem+json with a matching status and a code."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    assert content_type == PROBLEM_MEDIA_TYPE, f"error with content type {content_type!r}"
    body = response.json()
    assert body.get("status") == response.status_code, body
    for member in ("type", "title", "detail", "code"):
        assert isinstance(body.get(member), str) and body[member], f"problem without {member!r}: {body}"
    return None


# Operations where a schema-valid request may still be refused with 422, each for a documented rule
# that JSON Schema cannot state; for every other operation a schema-valid request is never a 422.
RULES_BEYOND_THE_SCHEMA = {
    "bills-list": "an opaque cursor this API did not issue",
    "stored_value_cards-list": "an opaque cursor this API did not issue",
    "invoice_profiles-list": "an opaque cursor this API did not issue",
    "mailing_addresses-list": "an opaque cursor this API did not issue",
    "invoice_requests-list": "an opaque cursor this API did not issue",
    "accounts-list_api_keys": "an opaque cursor this API did not issue",
    "events-list": "an opaque cursor this feed did not issue",
    "bills-upsert": "total_amount must equal the sum of the three parts",
    "certification-put": "the taxpayer id's check character",
    "invoice_profiles-create": "check character; header equals the certification; vat_special fields",
    "invoice_profiles-update": "check character; header equals the certification; vat_special fields",
    "mailing_addresses-create": "at least one of email and address",
    "mailing_addresses-update": "at least one of email and address must remain",
    "invoice_requests-create": "a non-empty selection without duplicates; address_incomplete",
    "invoice_requests-issue": "the invoices' amounts sum to the request's amount",
    "invoice_requests-deliver": "paper invoices need a tracking number",
    "invoice_requests-upload_file": "the body is a file of the path's format (magic bytes, OFD.xml, XML)",
    "stored_value_cards-refund": "the amount is at most what is left to refund on the card",
}
# The upload's Content-Type must be the one of the format named in the path (else 415): one path
# parameter choosing the media type is beyond what an OpenAPI document can state.
EXTRA_STATUSES = {"invoice_requests-upload_file": ["415"]}
_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


def _config(world: World, identity: str, auth_path: Path, examples: int) -> schemathesis.Config:
    wfc = {"path": str(world.wfc_document(auth_path)), "user": identity, "peers": list(CUSTOMERS)}
    relaxed = [
        {
            "include-operation-id": operation_id,
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": [*_ACCEPTED, "422", *EXTRA_STATUSES.get(operation_id, [])]
                }
            },
        }
        for operation_id in RULES_BEYOND_THE_SCHEMA
    ]
    return schemathesis.Config.from_dict(
        {
            "seed": 20261125,
            "cache": {"enabled": False},
            "generation": {"max-examples": examples},
            "phases": {"stateful": {"max-steps": max(10, examples)}},
            "checks": {"max_response_time": 10.0},
            "auth": {"wfc": wfc},
            "operations": relaxed,
        }
    )


def _run(schema: Any) -> tuple[Counter[str], set[str], list[str], int]:
    """Run every phase; return cases per phase, operations reached, failure reports, errors."""
    cases: Counter[str] = Counter()
    operations: set[str] = set()
    failures: dict[tuple[str, str, str], str] = {}
    errors: list[str] = []
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            recorder = event.recorder
            phase = getattr(event, "phase", "fuzz")
            cases[str(phase)] += len(recorder.cases)
            for node in recorder.cases.values():
                operations.add(node.value.operation.label)
            for checks in recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        key = (failure.operation or recorder.label, check.name, failure.title)
                        failures.setdefault(key, f"{key}\n{failure}\n{check.failure_info.code_sample}")
        elif isinstance(event, events.EngineFinished):
            for failure in event.failures:  # run-level checks, not tied to one case
                failures.setdefault((failure.operation or "run", "run", failure.title), str(failure))
        elif isinstance(event, events.NonFatalError | events.FatalError | events.Interrupted):
            errors.append(str(getattr(event, "info", None) or getattr(event, "exception", event)))
    return cases, operations, [*failures.values(), *errors], len(errors)


@pytest.mark.parametrize("role", list(ROLE_IDENTITY))
def test_every_operation_survives_fuzzing_with_every_check(
    role: str, backend: str, fuzz_world: World, tmp_path: Path
) -> None:
    examples = int(os.environ.get("INVOICING_FUZZ_EXAMPLES") or IN_SUITE_EXAMPLES[backend])
    app = create_app(Settings(database_url=fuzz_world.database_url, log_level="WARNING"))
    config = _config(fuzz_world, ROLE_IDENTITY[role], tmp_path / "auth.json", examples)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    try:
        cases, operations, failures, _errors = _run(schema)
    finally:
        from schemathesis.python import asgi

        asgi.shutdown_lifespans()  # the app's lifespan disposes its database engine
    documented = {op.ok().label for op in schema.get_all_operations()}
    record_figures(
        "fuzz",
        backend=backend,
        role=role,
        examples_per_operation=examples,
        operations=len(documented),
        operations_reached=len(operations & documented),
        cases=sum(cases.values()),
        cases_by_phase=dict(cases),
        failures=len(failures),
    )
    assert not failures, "\n\n".join(failures[:20])
    assert operations >= documented
