"""`/docs` (issue 26.5): Swagger UI from this origin only, pinned, under a strict Content-Security-Policy.
Over HTTP, the page and its files; in Debian's Chromium, that it renders the document with no request
to another origin and no CSP violation."""

import re
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.console.browser import CHROMIUM, CHROMIUM_ARGS, cli
from tests.server import running_server


def _policy(response: httpx.Response) -> dict[str, str]:
    directives = [
        part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";")
    ]
    return {name: value for name, value in directives}


async def test_the_page_loads_only_files_of_this_origin_under_a_strict_policy(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = _policy(page)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # no inline script, no eval, no CDN
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "http" not in page.headers["content-security-policy"]
    # Every file the page names is ours; no inline script for the policy to allow.
    references = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert references and all(ref.startswith("/docs/assets/") for ref in references), references
    assert re.search(r"<script>", page.text) is None
    for ref in references:
        asset = await client.get(ref)
        assert asset.status_code == 200, ref
        assert asset.headers["content-security-policy"] == page.headers["content-security-policy"]
        assert asset.headers["x-content-type-options"] == "nosniff"
    assert (
        (await client.get("/docs/assets/swagger-ui-bundle.js"))
        .headers["content-type"]
        .startswith("text/javascript")
    )


async def test_the_bundle_is_the_pinned_package_s_copy(client: httpx.AsyncClient) -> None:
    assert version("fastapi-offline") == "1.7.7"  # pyproject.toml pins it: an upgrade is a reviewed change
    bundle = (await client.get("/docs/assets/swagger-ui-bundle.js")).content
    assert b'PACKAGE_VERSION:"5.32.6"' in bundle  # Swagger UI 5 reads OpenAPI 3.1


def test_the_package_is_pinned() -> None:
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert '"fastapi-offline==1.7.7"' in pyproject


@pytest.mark.parametrize(
    "path", ["/docs/assets/", "/docs/assets/nope.js", "/docs/assets/..%2Fpyproject.toml"]
)
async def test_nothing_else_is_served_under_docs(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 404


async def test_there_is_no_cdn_loaded_redoc(client: httpx.AsyncClient) -> None:
    assert (await client.get("/redoc")).status_code == 404


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; .ci/run does it)")
    tmp = tmp_path_factory.mktemp("docs")
    database_url = f"sqlite:///{tmp / 'invoicing.db'}"
    cli(database_url, "migrate")
    with running_server(database_url, tmp) as server:
        yield server.base_url


def test_swagger_ui_renders_the_document_with_nothing_from_elsewhere(docs_server: str) -> None:
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page: Any = browser.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.on(
                "console", lambda message: problems.append(message.text) if message.type == "error" else None
            )
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(f"{docs_server}/docs")
            page.wait_for_selector("text=Invoicing", timeout=15_000)
            page.wait_for_selector("#operations-invoice_requests-invoice_requests-create", timeout=15_000)
        finally:
            browser.close()
    assert requests and all(url.startswith(docs_server) for url in requests), requests
    assert problems == [], problems
