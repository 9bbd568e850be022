"""One tenant filter for invoice requests (issue 25.3): `app/requests/scope.py` decides which requests
a caller sees, and every read, move and file lookup asks it; the behaviour through the API is in
test_access.py, test_files.py and tests/reliability/test_isolation.py, unchanged by the move to one
filter."""

import ast
from pathlib import Path

REQUESTS = Path(__file__).resolve().parents[2] / "app" / "requests"


def _reads_the_callers_account(path: Path) -> bool:
    tree = ast.parse(path.read_text(), str(path))
    return any(
        isinstance(node, ast.Attribute) and node.attr == "customer_account_id" for node in ast.walk(tree)
    )


def test_only_the_scope_and_the_creating_route_read_the_callers_account() -> None:
    """A module that reads the caller's account to filter requests is a second tenant filter."""
    readers = sorted(path.name for path in REQUESTS.glob("*.py") if _reads_the_callers_account(path))
    # router.py: a new request is for the calling customer's account (create.py takes it as given).
    assert readers == ["router.py", "scope.py"]
