"""The README's configuration reference lists every setting with its real default, and its walk-through
is the script CI runs."""

import re
from pathlib import Path

from app.core.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def _rows() -> dict[str, str]:
    rows: dict[str, str] = {}
    for line in README.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`INVOICING_"):
            names = [name.strip().strip("`") for name in cells[0].split(" / ")]
            defaults = [value.strip().strip("`") for value in cells[1].split(" / ")]
            rows.update(zip(names, defaults, strict=True))
    return rows


def test_every_setting_is_documented_with_its_default() -> None:
    rows = _rows()
    for name, field in Settings.model_fields.items():
        variable = f"INVOICING_{name.upper()}"
        assert variable in rows, f"{variable} is missing from the README's configuration table"
        default = field.default
        shown = str(default).lower() if isinstance(default, bool) else str(default)
        assert rows[variable] == shown, f"{variable}: README says {rows[variable]!r}, code says {shown!r}"


WALKTHROUGH = README.parent / "docs" / "walkthrough.sh"


def _shell_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)\n```$", text, re.S | re.M)


def test_every_walkthrough_block_of_the_readme_is_in_the_script() -> None:
    """The README's shell blocks that talk to the service are the script's, verbatim and in order, so
    what CI runs (tests/ops/test_walkthrough.py) is what a reader pastes."""
    script = WALKTHROUGH.read_text()
    blocks = [block for block in _shell_blocks(README.read_text()) if "$API" in block]
    assert len(blocks) >= 10, "the README's walk-through blocks were not found"
    position = 0
    for block in blocks:
        found = script.find(block, position)
        assert found >= 0, f"this README block is not in docs/walkthrough.sh (in this order):\n{block}"
        position = found + len(block)
