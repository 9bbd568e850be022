"""Serves the console's built bundle (`web/dist`) at `/console/`: hashed assets cached for a year,
index.html revalidated on every load, every other path answered by index.html (the SPA routes), and a
Content-Security-Policy that lets the page talk only to this origin. Without a bundle, a page says how
to build it. None of this is in the OpenAPI document: the console is a client of `/v1`, not part of it."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

DEFAULT_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"

# Ant Design writes its styles into <style> elements at run time, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Console not built</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>The console is not built</h1>
<p>The API is running (see <a href="/docs">/docs</a>), but the console's bundle (<code>web/dist</code>)
is missing. Install Node.js 20.19 or newer (<a href="https://nodejs.org/">nodejs.org</a>, or your
package manager) and run <code>make run</code>, or build it by hand:
<code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>.</p>
</body></html>
"""


def build_router(dist: Path) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    root = dist.resolve()

    def index() -> Response:
        page = root / "index.html"
        if not page.is_file():
            return HTMLResponse(
                NOT_BUILT, status_code=404, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"}
            )
        return FileResponse(
            page, media_type="text/html", headers={**SECURITY_HEADERS, "Cache-Control": REVALIDATE}
        )

    @router.api_route("/console", methods=["GET", "HEAD"])
    async def console_root() -> Response:
        return RedirectResponse("/console/", status_code=308)

    @router.api_route("/console/{path:path}", methods=["GET", "HEAD"])
    async def console(path: str, request: Request) -> Response:
        if path in ("", "index.html"):
            return index()
        if "\x00" in path:  # no file has such a name (and the OS refuses to look one up)
            return Response(status_code=404, headers={"Cache-Control": "no-store"})
        candidate = (root / path).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            hashed = candidate.parent == root / "assets"
            headers = {**SECURITY_HEADERS, "Cache-Control": IMMUTABLE if hashed else REVALIDATE}
            return FileResponse(candidate, headers=headers)
        if path.startswith("assets/"):
            # A missing asset is a stale page asking for an old hash: answering index.html would be wrong.
            return Response(status_code=404, headers={"Cache-Control": "no-store"})
        return index()  # a console route (/console/requests/…): the SPA decides

    return router
