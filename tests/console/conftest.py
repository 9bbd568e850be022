"""Browser fixtures: one real `invoicing serve` on SQLite per module and one Chromium per module;
skipped, with the reason, where Chromium or the built console is missing."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.console.browser import CHROMIUM, CHROMIUM_ARGS, Service, missing, serving


# Module scope: sync Playwright runs its own event loop while open, which must be closed again before
# the suite's asyncio tests run.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = missing()
    if reason:
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def service(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    # Access lines in the log.
    with serving(tmp_path_factory.mktemp("console"), {"INVOICING_LOG_LEVEL": "INFO"}) as started:
        yield started


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        # Leave a picture of every open page beside the test's files, for the one reading the failure.
        browser = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
        tmp_path = item.funcargs.get("tmp_path") if hasattr(item, "funcargs") else None
        if browser is not None and tmp_path is not None:
            for c, ctx in enumerate(browser.contexts):
                for p, page in enumerate(ctx.pages):
                    shot = tmp_path / f"failure-{c}-{p}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    report.sections.append(("failure screenshot", str(shot)))
    return report
