"""Drive the built console in Debian's Chromium through Playwright (never Playwright's own browsers):
the server under test, seeding through the API, axe-core checks and screenshots."""

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.server import ROOT, invoicing_command, running_server

CHROMIUM = Path("/usr/bin/chromium")
BUNDLE = ROOT / "web" / "dist" / "index.html"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Screenshots go to docs/console when asked (`make console-screenshots`), else beside the test's files.
SCREENSHOTS = os.environ.get("INVOICING_CONSOLE_SCREENSHOTS")
TAXPAYER_ID = "91350100M000100Y43"


def missing() -> str | None:
    """Why the browser tests cannot run here (CI installs Chromium and builds the bundle, so they do)."""
    if not CHROMIUM.exists():
        return "Debian's chromium is not installed (apt-get install -y chromium; .ci/run does it)"
    if not BUNDLE.exists():
        return "the console is not built (make console, with Node.js 20.19+)"
    if not AXE.exists():
        return "web/node_modules is not installed (make console)"
    return None


def cli(database_url: str, *args: str) -> str:
    env = {**os.environ, "INVOICING_DATABASE_URL": database_url}
    result = subprocess.run(
        [*invoicing_command(), *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout.strip().splitlines()[-1]


def recent_periods(count: int) -> list[str]:
    """The `count` months before this one, newest first (they show in the console's 12-month chart)."""
    now = datetime.now(UTC)
    year, month = now.year, now.month
    periods = []
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        periods.append(f"{year:04d}-{month:02d}")
    return periods


@dataclass
class Seeded:
    account_id: str
    customer_key: str
    periods: list[str]
    card_no: str


@dataclass
class Service:
    base_url: str
    billing_key: str
    finance_key: str
    mail_dir: Path
    log_path: Path
    database_url: str = ""
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base_url, timeout=30)

    def call(self, method: str, path: str, key: str, body: Any = None) -> Any:
        response = self.http.request(method, path, json=body, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def seed(self, name: str, bills: list[str], card: str | None) -> Seeded:
        """An account with a positive cash balance, cash bills for the last months and a card."""
        account = self.call("POST", "/v1/accounts", self.billing_key, {"name": name})
        account_id = account["id"]
        balance = {"cash_balance": "5000.00"}
        self.call("PUT", f"/v1/accounts/{account_id}/cash-balance", self.billing_key, balance)
        periods = recent_periods(len(bills))
        for period, cash in zip(periods, bills, strict=True):
            self.call(
                "PUT",
                f"/v1/accounts/{account_id}/bills/{period}",
                self.billing_key,
                {
                    "total_amount": cash,
                    "cash_amount": cash,
                    "voucher_amount": "0.00",
                    "stored_value_card_amount": "0.00",
                },
            )
        card_no = f"SVC-{name[:4].upper()}-0001"
        if card is None:
            key = self.call(
                "POST", f"/v1/accounts/{account_id}/api-keys", self.billing_key, {"role": "customer"}
            )
            return Seeded(account_id=account_id, customer_key=key["key"], periods=periods, card_no="")
        self.call(
            "POST",
            f"/v1/accounts/{account_id}/stored-value-cards",
            self.billing_key,
            {
                "card_no": card_no,
                "face_value": card,
                "paid_amount": card,
                "purchased_at": "2026-01-15T08:00:00Z",
            },
        )
        key = self.call("POST", f"/v1/accounts/{account_id}/api-keys", self.billing_key, {"role": "customer"})
        return Seeded(account_id=account_id, customer_key=key["key"], periods=periods, card_no=card_no)

    def requests_of(self, account_id: str) -> list[dict[str, Any]]:
        """The account's requests, newest first, as full objects (the list carries summaries)."""
        page = self.call("GET", f"/v1/invoice-requests?account_id={account_id}&limit=100", self.finance_key)
        return [
            self.call("GET", f"/v1/invoice-requests/{row['id']}", self.finance_key) for row in page["data"]
        ]


class Pages:
    """What every journey does on each page: check accessibility (axe-core) and take a screenshot."""

    def __init__(self, page: Any, shots: Path, prefix: str) -> None:
        self.page = page
        self.shots = shots
        self.prefix = prefix
        self.violations: dict[str, list[str]] = {}

    def check(self, name: str, screenshot: bool = False) -> None:
        self.page.wait_for_load_state("networkidle")
        if self.page.evaluate("typeof window.axe") == "undefined":
            # Evaluated through the DevTools protocol: the page's CSP (rightly) refuses injected <script>s.
            self.page.evaluate(AXE.read_text())
        result = self.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious = [
            f"{v['impact']} {v['id']}: {', '.join(str(n['target']) for n in v['nodes'][:5])}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            self.violations[name] = serious
        if screenshot:
            self.page.screenshot(path=str(self.shots / f"{self.prefix}{name}.png"), full_page=True)

    def assert_accessible(self) -> None:
        found = "\n".join(f"{page}: {v}" for page, vs in self.violations.items() for v in vs)
        assert not self.violations, f"axe-core found serious or critical violations:\n{found}"


def screenshot_dir(tmp: Path) -> Path:
    target = Path(SCREENSHOTS) if SCREENSHOTS else tmp / "screenshots"
    if not target.is_absolute():
        target = ROOT / target
    target.mkdir(parents=True, exist_ok=True)
    return target


def session_storage_key(page: Any) -> str | None:
    value = page.evaluate("() => sessionStorage.getItem('invoicing.session')")
    return None if value is None else str(value)


def iter_lines(path: Path) -> Iterator[str]:
    yield from path.read_text(errors="replace").splitlines()


def new_context(browser: Any, locale: str) -> Any:
    """A fresh browser profile (nothing in storage) in Shanghai's time zone, with the given language."""
    return browser.new_context(
        locale=locale,
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
        accept_downloads=True,
        reduced_motion="reduce",  # the console then turns Ant Design's animations off
    )


@contextmanager
def serving(tmp: Path, extra_env: dict[str, str] | None = None) -> Iterator[Service]:
    """A migrated SQLite database with a billing and a finance key, served with a worker beside
    `invoicing serve` (mail to files in `mail/`; a revoked key refused at once), plus `extra_env`."""
    database_url = f"sqlite:///{tmp / 'invoicing.db'}"
    cli(database_url, "migrate")
    billing = cli(database_url, "create-key", "--role", "billing")
    finance = cli(database_url, "create-key", "--role", "finance")
    mail_dir = tmp / "mail"
    env = {"INVOICING_MAIL_DIR": str(mail_dir), "INVOICING_AUTH_CACHE_SECONDS": "0", **(extra_env or {})}
    with running_server(database_url, tmp, extra_env=env, extra_args=["--with-worker"]) as server:
        yield Service(
            base_url=server.base_url,
            billing_key=billing,
            finance_key=finance,
            mail_dir=mail_dir,
            log_path=server.log_path,
            database_url=database_url,
        )
