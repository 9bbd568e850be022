"""The layering rules of the developers' guide, read from the source with `ast`:

- `app/core` imports no domain package (it is shared by all of them);
- no module outside the HTTP layer (routers, `app/main.py`, the FastAPI glue in `app/core`) imports
  FastAPI or Starlette, directly or through another module of ours: services, rules, queries,
  models, schemas and the worker stay plain Python;
- no import cycles between domain packages, nor between `app/cli.py` and `app/demo.py`.
"""

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
FRAMEWORKS = ("fastapi", "starlette")

# The HTTP layer: the only modules that may import FastAPI or Starlette.
HTTP_MODULES = frozenset(
    {
        "app.main",
        "app.core.dependencies",  # what routers inject: auth, pagination, the request's session
        "app.core.handlers",  # exception handlers: problem responses
        "app.core.jsonbody",  # the request class that decodes bodies
        "app.core.http_protocol",  # the server's own refusals (431, 408) before the app runs
        "app.core.openapi",
        "app.core.session",
        "app.ops.bench",
    }
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in APP.rglob("*.py")}


# Packages of the HTTP layer: every module in them.
HTTP_PACKAGES = ("app.core.middleware",)


def _is_http(module: str) -> bool:
    leaf = module.rsplit(".", 1)[-1]
    in_package = any(module == package or module.startswith(package + ".") for package in HTTP_PACKAGES)
    return module in HTTP_MODULES or in_package or leaf == "router" or leaf.endswith("_router")


@cache
def imports(module: str) -> frozenset[str]:
    """Every module `module` imports, anywhere in its body (function-level imports too)."""
    tree = ast.parse(MODULES[module].read_text(), str(MODULES[module]))
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)
    return frozenset(found)


def ours(module: str) -> Iterator[str]:
    for name in imports(module):
        if name in MODULES:
            yield name
        elif name.rpartition(".")[0] in MODULES:  # `from app.x import function`
            yield name.rpartition(".")[0]


def _package(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 3 or parts[1] == "core":
        return None
    return parts[1]


def test_core_imports_no_domain_package() -> None:
    offenders = {
        module: sorted(name for name in ours(module) if not name.startswith("app.core"))
        for module in MODULES
        if module.startswith("app.core")
    }
    assert {module: names for module, names in offenders.items() if names} == {}


def test_only_the_http_layer_imports_the_web_framework() -> None:
    offenders: dict[str, list[str]] = {}
    for module in MODULES:
        if _is_http(module) or module in ("app.cli",):
            continue
        # Walk what it imports of ours, not entering the HTTP layer (importing it is the offence).
        seen: set[str] = set()
        todo = [module]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            framework = sorted(n for n in imports(current) if n.split(".")[0] in FRAMEWORKS)
            if framework:
                offenders.setdefault(module, []).append(f"{current}: {', '.join(framework)}")
            if _is_http(current) and current != module:
                offenders.setdefault(module, []).append(f"imports the HTTP module {current}")
                continue
            todo.extend(ours(current))
    assert offenders == {}


def test_no_import_cycles_between_domain_packages() -> None:
    graph: dict[str, set[str]] = {}
    for module in MODULES:
        source = _package(module)
        if source is None:
            continue
        for name in ours(module):
            target = _package(name)
            if target is not None and target != source:
                graph.setdefault(source, set()).add(target)

    def reaches(start: str, goal: str) -> bool:
        seen: set[str] = set()
        todo = [start]
        while todo:
            current = todo.pop()
            if current == goal:
                return True
            if current not in seen:
                seen.add(current)
                todo.extend(graph.get(current, ()))
        return False

    cycles = {
        frozenset((source, target))
        for source, targets in graph.items()
        for target in targets
        if reaches(target, source)
    }
    assert cycles == set()


def test_the_command_line_and_the_demo_do_not_import_each_other() -> None:
    assert "app.cli" not in set(ours("app.demo"))
