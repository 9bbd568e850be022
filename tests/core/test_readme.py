"""The README's configuration reference lists every setting with its real default."""

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
