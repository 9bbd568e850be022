"""Rules that were once written more than once are written once (issue 25.3), read from the source
with `ast`: the limit of an amount's integer digits, the list of invoice types, and the path of an
invoice file. A second copy is what lets two places drift apart."""

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
# Prose and examples may say the rule; only code counts as a copy of it.
_PROSE = frozenset({"description", "summary", "examples", "detail"})


def _code_strings(tree: ast.AST) -> Iterator[ast.Constant]:
    prose: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in _PROSE:
            prose.update(id(child) for child in ast.walk(node.value))
        elif isinstance(node, ast.Expr):  # docstrings
            prose.update(id(child) for child in ast.walk(node))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            yield node


@cache
def _sources() -> list[tuple[str, ast.AST]]:
    return [
        (str(path.relative_to(APP.parent)), ast.parse(path.read_text(), str(path)))
        for path in sorted(APP.rglob("*.py"))
    ]


def test_the_integer_digits_of_an_amount_are_one_constant() -> None:
    source = (APP / "core" / "money.py").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in source.splitlines())
    assert re.findall(r"\b12\b", code) == ["12"], "money.py repeats 12: derive it from MAX_INTEGER_DIGITS"


def test_the_invoice_types_are_listed_once() -> None:
    listed = [
        f"{name}:{node.lineno}"
        for name, tree in _sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Literal"
        and "electronic_ordinary" in ast.unparse(node.slice)
    ]
    assert len(listed) == 1 and listed[0].startswith("app/profiles/rules.py:"), listed
    # The database's CHECK reads the same list.
    assert not any(
        "electronic_ordinary" in node.value and "IN (" in node.value
        for _, tree in _sources()
        for node in _code_strings(tree)
    )


def test_the_invoice_file_path_is_written_once() -> None:
    written = [
        f"{name}:{node.lineno}"
        for name, tree in _sources()
        for node in _code_strings(tree)
        if re.search(r"invoices/.*files/", node.value)
    ]
    assert len(written) == 1 and written[0].startswith("app/requests/filetypes.py"), written
