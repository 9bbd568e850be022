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
from jsonschema import Draft202012Validator
from schemathesis.engine import Status, events

from app.core.errors import PROBLEM_MEDIA_TYPE
from app.core.settings import Settings
from app.main import create_app
from app.requests.schemas import MAX_INVOICES
from tests.reliability.world import CUSTOMERS, World, record_figures

pytestmark = pytest.mark.slow

# Examples per operation and phase in `make test`; `make fuzz` raises it.
IN_SUITE_EXAMPLES = {"sqlite": 10, "postgres": 4}
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


# Every case where a schema-valid request is still refused with 422, each for a rule no JSON Schema
# can hold, keyed by (operation, problem code, field at fault); docs/RELIABILITY.md lists them. Any
# other 422 to a schema-valid request fails the run: put the rule in the schema, or, if no schema can
# hold it, add the case here and to docs/RELIABILITY.md.
_FILE_PATH = "/v1/invoice-requests/{request_id}/invoices/{number}/files/{file_format}"
_CURSOR = "a cursor this API issued (an opaque position in one list)"
_CHECK_CHARACTER = "the taxpayer id's check character (GB 32100-2015: a weighted sum modulo 31)"
_SPECIAL_USE = "an email domain that receives mail: not special-use (.test, .local, .localhost, …)"
_HEADER = "the invoice header (title, taxpayer id) equals the account's current certification"
_REUSED = "an Idempotency-Key is not reused with another request within 24 hours"
RULES_BEYOND_THE_SCHEMA: dict[tuple[str, str, str | None], str] = {
    **{
        (f"GET {path}", "validation_error", "query.cursor"): _CURSOR
        for path in (
            "/v1/bills",
            "/v1/stored-value-cards",
            "/v1/invoice-profiles",
            "/v1/mailing-addresses",
            "/v1/invoice-requests",
            "/v1/accounts/{account_id}/api-keys",
            "/v1/webhook-endpoints",
            "/v1/webhook-endpoints/{endpoint_id}/deliveries",
            "/v1/sellers",
        )
    },
    ("POST /v1/webhook-endpoints", "validation_error", "body.url"): (
        "an absolute https:// URL without credentials (plain http:// for the hosts "
        "INVOICING_WEBHOOK_ALLOWED_HTTP_HOSTS lists): the configuration decides"
    ),
    ("GET /v1/events", "validation_error", "query.after"): _CURSOR,
    ("PUT /v1/accounts/{account_id}/bills/{period}", "validation_error", "body.total_amount"): (
        "total_amount equals cash + voucher + stored-value-card amounts (a sum of decimal strings)"
    ),
    ("PUT /v1/certification", "validation_error", "body.taxpayer_id"): _CHECK_CHARACTER,
    ("POST /v1/invoice-profiles", "validation_error", "body.taxpayer_id"): _CHECK_CHARACTER,
    ("PATCH /v1/invoice-profiles/{profile_id}", "validation_error", "body.taxpayer_id"): _CHECK_CHARACTER,
    **{
        (operation, "header_mismatch", f"body.{name}"): _HEADER
        for operation in ("POST /v1/invoice-profiles", "PATCH /v1/invoice-profiles/{profile_id}")
        for name in ("title", "taxpayer_id")
    },
    **{
        ("PATCH /v1/invoice-profiles/{profile_id}", "validation_error", f"body.{name}"): (
            "a profile that is (or becomes) vat_special keeps its four fields: the stored profile decides"
        )
        for name in ("bank_name", "bank_account", "registered_address", "registered_phone")
    },
    ("POST /v1/mailing-addresses", "validation_error", "body.email"): _SPECIAL_USE,
    ("PATCH /v1/mailing-addresses/{address_id}", "validation_error", "body.email"): _SPECIAL_USE,
    **{
        ("PATCH /v1/mailing-addresses/{address_id}", "validation_error", f"body.{name}"): (
            "an address keeps an email or a postal address: the stored address decides"
        )
        for name in ("email", "address")
    },
    **{
        ("POST /v1/invoice-requests", "validation_error", f"body.{name}"): (
            "no id twice, also in another spelling of the same UUID (upper case, braces, no hyphens)"
        )
        for name in ("bill_ids", "stored_value_card_ids")
    },
    ("POST /v1/invoice-requests", "validation_error", "body"): (
        "at most 500 bills and cards together (the sum of two array lengths)"
    ),
    ("POST /v1/invoice-requests", "address_incomplete", None): (
        "the address serves the profile's invoice type (email for electronic, postal for paper): "
        "two stored objects decide"
    ),
    ("POST /v1/invoice-requests/{request_id}/issue", "validation_error", "body.invoices"): (
        "the invoices' amounts sum to the request's amount: the stored request decides"
    ),
    ("POST /v1/invoice-requests/{request_id}/deliver", "validation_error", "body.tracking_number"): (
        "paper invoices need a tracking number: the stored request's type decides"
    ),
    **{
        ("POST /v1/invoice-requests/{request_id}/red-invoices", "validation_error", field): (
            "each red-letter invoice names one of the request's issued invoices, each exactly once, "
            "none left out: the stored invoices decide"
        )
        for field in ["body.invoices", *(f"body.invoices.{i}.blue_number" for i in range(MAX_INVOICES))]
    },
    ("POST /v1/invoice-requests/{request_id}/reissue", "address_incomplete", None): (
        "the address serves the chosen profile's invoice type, as at creation: two stored objects decide"
    ),
    (
        "POST /v1/accounts/{account_id}/stored-value-cards/{card_id}/refunds",
        "validation_error",
        "body.amount",
    ): ("a refund is at most what is left to refund on the card (paid - refunded): the stored card decides"),
    ("POST /v1/sellers", "validation_error", "body.taxpayer_id"): _CHECK_CHARACTER,
    ("PATCH /v1/sellers/{seller_id}", "validation_error", "body.taxpayer_id"): _CHECK_CHARACTER,
    ("PATCH /v1/sellers/{seller_id}", "validation_error", "body.is_default"): (
        "there is always one default seller: false on the default is refused (the stored seller decides)"
    ),
    ("POST /v1/invoice-requests", "invoice_limit_exceeded", None): (
        "the request's amount needs at most 100 invoices of the seller's max_invoice_amount (stored)"
    ),
    **{
        (
            "POST /v1/invoice-requests/{request_id}/issue",
            "invoice_limit_exceeded",
            f"body.invoices.{index}.amount",
        ): ("each invoice is at most the seller's max_invoice_amount: the stored seller snapshot decides")
        for index in range(MAX_INVOICES)
    },
    **{
        (
            "POST /v1/invoice-requests/{request_id}/issue",
            "validation_error",
            f"body.invoices.{index}.number",
        ): (
            "a digital invoice (digital_special, digital_ordinary) is numbered with 20 digits: the stored "
            "request's type decides"
        )
        for index in range(MAX_INVOICES)
    },
    **{
        (f"GET {path}", "validation_error", f"query.{name}"): (
            "a real calendar day (not 2026-02-30), and issued_from not after issued_to; amount_min not "
            "above amount_max: two parameters or the calendar decide"
        )
        for path in ("/v1/invoice-requests", "/v1/invoice-requests/export")
        for name in ("issued_from", "issued_to", "amount_min")
    },
    ("POST /v1/invoice-requests/bulk/{move}", "validation_error", "body.reason"): (
        "rejecting needs a reason, starting does not: the path's move decides"
    ),
    (f"PUT {_FILE_PATH}", "validation_error", "body"): (
        "the body is a file of the path's format (PDF magic bytes, an OFD container with OFD.xml, "
        "well-formed XML without a DTD)"
    ),
}
# Any POST: the key's first use decides.
_ANY_POST_REUSED_KEY = ("idempotency_key_reused", "header.Idempotency-Key")
_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
# The upload's Content-Type must be the one of the format named in the path (else 415): one path
# parameter choosing the media type is beyond what an OpenAPI document can state.
EXTRA_STATUSES = {"invoice_requests-upload_file": ["415"]}


# Each operation's JSON body schema, read from the document under test, to tell a schema-valid body.
_BODY_SCHEMAS: dict[str, Draft202012Validator] = {}


def _learn_body_schemas(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if media is not None:
                schema = {"components": document["components"], **media["schema"]}
                _BODY_SCHEMAS[f"{method.upper()} {path}"] = Draft202012Validator(schema)


@schemathesis.check
def schema_valid_requests_are_refused_only_for_documented_rules(
    ctx: Any, response: Any, case: Any
) -> bool | None:
    """schemathesis's positive_data_acceptance, case by case: a schema-valid request (positive data)
    answered 422 must be one of RULES_BEYOND_THE_SCHEMA, field by field."""
    meta = case.meta
    if response.status_code != 422 or meta is None or not meta.generation.mode.is_positive:
        return None
    validator = _BODY_SCHEMAS.get(case.operation.label)
    if validator is not None and isinstance(case.body, dict) and not validator.is_valid(case.body):
        return None  # labelled positive, yet the body breaks the schema (seen in the stateful phase)
    body = response.json()
    code = body.get("code")
    fields = [error.get("field") for error in body.get("errors") or []] or [None]
    operation = case.operation.label
    for field in fields:
        if (operation, code, field) in RULES_BEYOND_THE_SCHEMA:
            continue
        if operation.startswith("POST ") and (code, field) == _ANY_POST_REUSED_KEY:
            continue
        raise AssertionError(
            f"schema-valid request refused: {operation} -> 422 {code} on {field}: {body.get('detail')}"
        )
    return None


def _config(world: World, identity: str, auth_path: Path, examples: int) -> schemathesis.Config:
    wfc = {"path": str(world.wfc_document(auth_path)), "user": identity, "peers": list(CUSTOMERS)}
    return schemathesis.Config.from_dict(
        {
            "seed": 20261125,
            "cache": {"enabled": False},
            "generation": {"max-examples": examples},
            "phases": {"stateful": {"max-steps": max(10, examples)}},
            "checks": {
                "max_response_time": 10.0,
                # Any status but 422 is judged here; a 422 is judged case by case by
                # schema_valid_requests_are_refused_only_for_documented_rules.
                "positive_data_acceptance": {"expected-statuses": [*_ACCEPTED, "422"]},
            },
            "auth": {"wfc": wfc},
            "operations": [
                {
                    "include-operation-id": operation_id,
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": [*_ACCEPTED, "422", *extra]}
                    },
                }
                for operation_id, extra in EXTRA_STATUSES.items()
            ],
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
    # One client address sends every case, bad keys included: the per-address limit on failed
    # authentication (429 past it) would answer the auth checks' cases instead of the app.
    settings = Settings(database_url=fuzz_world.database_url, log_level="WARNING", auth_failures_per_minute=0)
    app = create_app(settings)
    _learn_body_schemas(app.openapi())
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


def test_the_positive_data_check_excuses_exactly_the_listed_cases() -> None:
    """The check itself: a listed (operation, code, field) is excused, anything else fails, and a body
    that breaks the schema is not judged (it was not schema-valid)."""
    from types import SimpleNamespace

    _learn_body_schemas(create_app(Settings(database_url="sqlite:////nonexistent/unused.db")).openapi())

    def run(label: str, problem: dict[str, Any], body: Any = None, positive: bool = True) -> None:
        mode = SimpleNamespace(is_positive=positive)
        case = SimpleNamespace(
            meta=SimpleNamespace(generation=SimpleNamespace(mode=mode)),
            operation=SimpleNamespace(label=label),
            body=body,
        )
        response = SimpleNamespace(status_code=422, json=lambda: problem)
        schema_valid_requests_are_refused_only_for_documented_rules(None, response, case)

    cursor = {"code": "validation_error", "errors": [{"field": "query.cursor"}], "detail": "…"}
    run("GET /v1/bills", cursor)  # listed
    with pytest.raises(AssertionError, match="schema-valid request refused"):
        run("GET /v1/bills", {**cursor, "errors": [{"field": "query.limit"}]})  # another field
    with pytest.raises(AssertionError):
        run("GET /v1/events", cursor)  # the feed's cursor is `after`
    run("GET /v1/bills", {**cursor, "errors": [{"field": "query.limit"}]}, positive=False)  # not positive
    key_field = [{"field": "header.Idempotency-Key"}]
    reused = {"code": "idempotency_key_reused", "errors": key_field, "detail": "…"}
    run("POST /v1/accounts", reused, body={"name": "Acme"})
    refused = {"code": "validation_error", "errors": [{"field": "body.name"}], "detail": "…"}
    with pytest.raises(AssertionError):
        run("POST /v1/accounts", refused, body={"name": "Acme"})  # schema-valid, refused: a failure
    run("POST /v1/accounts", refused, body={"name": "Acme", "extra": 1})  # not schema-valid: not judged
