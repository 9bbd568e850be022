"""`/docs`: Swagger UI over `/openapi.json`, every file served from this origin under a strict CSP.

The page loads nothing from elsewhere: Swagger UI's bundle and stylesheet are the pinned copies the
`fastapi-offline` package ships (pyproject.toml pins its version, so an upgrade is a reviewed change,
never a CDN's floating `@5`), and the page has no inline script for the policy to allow. None of
this is in the OpenAPI document.
"""

from importlib.util import find_spec
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from app.core.errors import NotFound

DOCS_PATH = "/docs"
ASSETS = f"{DOCS_PATH}/assets"


def _package_static() -> Path:
    spec = find_spec("fastapi_offline")  # located, not imported: only its files are used
    assert spec is not None and spec.submodule_search_locations, "fastapi-offline is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "static"


# Swagger UI injects style attributes and <style> as it renders (hence 'unsafe-inline' for styles
# only) and draws its icons from data: URIs; scripts and connections stay on this origin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Invoicing - Swagger UI</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<link rel="icon" href="{ASSETS}/favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/docs.js"></script>
</body>
</html>
"""

# What FastAPI's default page configures, as a file of ours (no inline script); no validator badge,
# which would be an image from another origin.
_INIT = b"""window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""

_MEDIA = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".png": "image/png"}
_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png")


def build_router() -> APIRouter:
    static = _package_static()
    # Read once: a few megabytes, fixed for the life of the process (and of the pinned package).
    assets = {name: (static / name).read_bytes() for name in _FILES}
    assets["docs.js"] = _INIT
    router = APIRouter(include_in_schema=False)

    @router.get(DOCS_PATH)
    async def docs() -> HTMLResponse:
        return HTMLResponse(_PAGE, headers=_HEADERS)

    @router.get(ASSETS + "/{name}")
    async def asset(name: str) -> Response:
        content = assets.get(name)
        if content is None:
            raise NotFound()
        return Response(content, media_type=_MEDIA[Path(name).suffix], headers=_HEADERS)

    return router
