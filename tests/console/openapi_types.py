"""Generate the console's TypeScript API types from the app's OpenAPI document with the console's own
openapi-typescript (`python -m tests.console.openapi_types OUT`, what `make console-api` runs)."""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from app.core.settings import Settings
from app.main import create_app

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
GENERATOR = WEB / "node_modules" / ".bin" / "openapi-typescript"
COMMITTED = WEB / "src" / "lib" / "api" / "schema.d.ts"


def openapi_document() -> dict[str, object]:
    # No database is opened: building the document needs only the routes.
    with tempfile.TemporaryDirectory() as tmp:
        return create_app(Settings(database_url=f"sqlite:///{tmp}/unused.db")).openapi()


def generate(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        document = Path(tmp) / "openapi.json"
        document.write_text(json.dumps(openapi_document()))
        subprocess.run(
            [str(GENERATOR), str(document), "-o", str(out.resolve())],  # it runs in web/
            cwd=WEB,
            check=True,
            capture_output=True,
        )


def generator_missing() -> str | None:
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not GENERATOR.exists():
        return "web/node_modules is not installed (make console, or cd web && npm ci)"
    return None


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else COMMITTED)
