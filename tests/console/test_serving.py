"""The service serves the console's bundle at /console/: SPA fallback, caching, CSP, and a clear page
when the bundle is not built. A small stand-in bundle here; the browser tests use the real one."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.core.settings import Settings
from app.main import create_app

INDEX = (
    "<!doctype html><html><head>"
    '<script type="module" src="/console/assets/index-Ab12Cd34.js"></script></head></html>'
)


async def _client(tmp_path: Path, dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/console.db", console_dir=dist))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        yield http
    await app.state.database.dispose()


@pytest.fixture
async def built(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "index-Ab12Cd34.js").write_text("console.log('console')")
    (dist / "robots.txt").write_text("User-agent: *\n")
    (tmp_path / "secret.txt").write_text("not for the web")
    async for http in _client(tmp_path, dist):
        yield http


@pytest.fixture
async def unbuilt(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _client(tmp_path, tmp_path / "missing-dist"):
        yield http


async def test_console_root_redirects_to_the_trailing_slash(built: httpx.AsyncClient) -> None:
    response = await built.get("/console")
    assert response.status_code == 308
    assert response.headers["location"] == "/console/"


async def test_index_is_revalidated_and_carries_the_content_security_policy(built: httpx.AsyncClient) -> None:
    response = await built.get("/console/")
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_console_routes_fall_back_to_the_index(built: httpx.AsyncClient) -> None:
    for path in (
        "/console/requests/0b7e1e0c-8a4e-4c1e-9a53-2f1d7c3b9a10",
        "/console/finance",
        "/console/sign-in",
    ):
        response = await built.get(path)
        assert response.status_code == 200, path
        assert response.text == INDEX
        assert response.headers["cache-control"] == "no-cache"


async def test_hashed_assets_are_cached_for_a_year(built: httpx.AsyncClient) -> None:
    response = await built.get("/console/assets/index-Ab12Cd34.js")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "javascript" in response.headers["content-type"]
    other = await built.get("/console/robots.txt")
    assert other.status_code == 200
    assert other.headers["cache-control"] == "no-cache"


async def test_a_missing_asset_is_404_not_the_index(built: httpx.AsyncClient) -> None:
    response = await built.get("/console/assets/index-OldHash1.js")
    assert response.status_code == 404


async def test_nothing_outside_the_bundle_is_served(built: httpx.AsyncClient) -> None:
    for path in (
        "/console/..%2Fsecret.txt",
        "/console/%2e%2e/secret.txt",
        "/console/assets/..%2F..%2Fsecret.txt",
    ):
        response = await built.get(path)
        assert "not for the web" not in response.text, path


async def test_without_a_bundle_the_page_says_how_to_build_it(unbuilt: httpx.AsyncClient) -> None:
    response = await unbuilt.get("/console/")
    assert response.status_code == 404
    assert "The console is not built" in response.text
    assert "npm ci" in response.text and "Node.js" in response.text
    assert (await unbuilt.get("/healthz")).status_code == 200


async def test_the_console_is_not_part_of_the_api_contract(built: httpx.AsyncClient) -> None:
    document = (await built.get("/openapi.json")).json()
    assert not [path for path in document["paths"] if path.startswith("/console")]
