"""The README's walk-through (docs/walkthrough.sh, whose blocks the README quotes verbatim) runs from
start to end against a real `invoicing serve --with-worker` on SQLite, twice on one database, leaves
nothing in the repository, and prints what the README says it prints."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.requests import export
from tests.server import ROOT, invoicing_command, running_server

SCRIPT = ROOT / "docs" / "walkthrough.sh"


def _cli(database_url: str, *args: str) -> None:
    env = {**os.environ, "INVOICING_DATABASE_URL": database_url}
    subprocess.run([*invoicing_command(), *args], cwd=ROOT, env=env, check=True, capture_output=True)


def _untracked() -> set[str]:
    listed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return set(listed.stdout.splitlines()) if listed.returncode == 0 else set()


@pytest.mark.skipif(shutil.which("curl") is None, reason="the walk-through needs curl")
def test_the_readme_walkthrough_runs_from_start_to_end(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'invoicing.db'}"
    _cli(database_url, "migrate")
    mail = tmp_path / "mail"
    # As `make run`: issuing with an empty body goes through the sandbox (answering quickly here);
    # finance may still issue with numbers of its own.
    env = {
        "INVOICING_MAIL_DIR": str(mail),
        "INVOICING_TAX_PLATFORM": "sandbox",
        "INVOICING_TAX_SANDBOX_DELAY_SECONDS": "0.2",
    }
    before = _untracked()
    with running_server(database_url, tmp_path, extra_env=env, extra_args=["--with-worker"]) as server:
        script_env = {
            **os.environ,
            **env,
            "API": server.base_url,
            "INVOICING": " ".join(invoicing_command()),
            "INVOICING_DATABASE_URL": database_url,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "TMPDIR": str(tmp_path),
        }
        outputs = []
        for _ in range(2):  # a second run on the same database works too (its own invoice numbers)
            run = subprocess.run(
                ["bash", str(SCRIPT)],
                cwd=ROOT,
                env=script_env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert run.returncode == 0, (
                f"stdout:\n{run.stdout}\nstderr:\n{run.stderr}\n{server.log()[-3000:]}"
            )
            outputs.append(run.stdout)

    lines = outputs[0].splitlines()
    for expected in (
        "certified",
        "6600.00",  # three demo bills
        "delivered",
        "reversing not_required",
        "reversing None Customer asked for a VAT special invoice instead",
        "4600.00",
        "2012.50",
        "  -500.00 Stored-value card DEMO-SVC-0002: settles an earlier over-invoiced amount",
        "['reverse', 'upload_file']",
        "invoice_file_missing",
        "sent",
        "Cc: cfo@acme.example",
        "the same bytes",
        "202",
        # Issued through the sandbox with an empty body, emailed at once, and its PDF downloaded.
        "202 issuing",
        "%PDF",
        # Two rates, one seller limit of 600.00: the draft's three invoices, taxed per line.
        "600.00 = 566.04 + tax 33.96 [('0.06', '600.00', '33.96')]",
        "600.00 = 554.35 + tax 45.65 [('0.06', '400.00', '22.64'), ('0.13', '200.00', '23.01')]",
        "300.00 = 265.49 + tax 34.51 [('0.13', '300.00', '34.51')]",
        "200 application/pdf",
        "cancelled",
        # A re-issue: the special invoice's reversal awaits the buyer, who confirms it; then the
        # red-letter invoice, and the replacement with the same amount is issued.
        "pending 800.00 electronic_ordinary True",
        "reversing issue_error deducted awaiting_buyer ['confirm_red_letter', 'decline_red_letter']",
        "red_letter_not_confirmed",
        "replaced_request_not_reversed",
        "confirmed",
        "reversed [('SPEC-', '-800.00', '-45.28')]",
        "issued 800.00 800.00",
        "requested 1, skipped 0",
        "HTTP/1.1 401 Unauthorized",
        "forbidden",
        "204",
        "unauthenticated",  # the key the walk-through made and revoked, not the demo's
        "idempotent-replayed: true",
        "walk-through finished",
    ):
        assert expected in lines, f"{expected!r} is not a line of the walk-through's output:\n{outputs[0]}"
    # The finance desk's export: CSV with a byte-order mark and its header row, and XLSX.
    assert "\ufeff" + ",".join(export.HEADER) in lines, outputs[0]
    assert "200 application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" in lines, outputs[0]
    # /readyz names the tax platform the service issues through (make run: sandbox).
    assert any(line.startswith('{"status":"ready","tax_platform":') for line in lines), outputs[0]
    sandbox = lines.index("202 issuing")
    assert lines[sandbox + 1] == "delivered", outputs[0]
    assert re.fullmatch(r"\d{20}", lines[sandbox + 2]), outputs[0]  # the sandbox's number
    assert lines[sandbox + 3] == "200 application/pdf", outputs[0]
    recorded = "reversed red_invoices_recorded Red-letter invoices RED-"
    assert any(line.startswith(recorded) for line in lines), outputs[0]
    # The files went to a temporary folder, removed at the end: nothing new in the repository.
    assert _untracked() == before
    assert list(tmp_path.glob("tmp.*")) == []
