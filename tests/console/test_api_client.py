"""The console's generated API client matches the API: its types regenerated from the app's current
OpenAPI document equal the committed web/src/lib/api/schema.d.ts (run `make console-api` after an
API change)."""

from pathlib import Path

import pytest

from tests.console.openapi_types import COMMITTED, generate, generator_missing


def test_committed_client_types_match_the_live_openapi_document(tmp_path: Path) -> None:
    reason = generator_missing()
    if reason:
        pytest.skip(f"cannot regenerate the console's API types: {reason}")
    fresh = tmp_path / "schema.d.ts"
    generate(fresh)
    assert fresh.read_text() == COMMITTED.read_text(), (
        "web/src/lib/api/schema.d.ts is out of date with the API: "
        "run `make console-api` and review the console"
    )
