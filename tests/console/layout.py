"""What a page must look like on any screen, checked in the browser: nothing wider than the window,
no text sticking out of its box, no short word or money figure broken over two lines (the "¥ 0. 0 0"
a 170 px column made of `¥0.00`, a header 默认 written downwards)."""

from pathlib import Path
from typing import Any

# Run in the page; returns one line per problem (none: the page is fine).
_PROBLEMS = (Path(__file__).parent / "layout_problems.js").read_text()


def layout_problems(page: Any) -> list[str]:
    return [str(problem) for problem in page.evaluate(_PROBLEMS)]


class LayoutChecks:
    """Collects the layout problems of every page a journey visits, to assert once at the end (like
    Pages collects axe-core's findings), so one run reports every page at fault."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.problems: dict[str, list[str]] = {}
        self.checked: list[str] = []

    def check(self, name: str) -> None:
        self.page.wait_for_load_state("networkidle")
        self.checked.append(name)
        found = layout_problems(self.page)
        if found:
            self.problems[name] = found

    def assert_clean(self) -> None:
        report = "\n".join(f"{name}: {problem}" for name, found in self.problems.items() for problem in found)
        assert not self.problems, f"layout problems at {self.page.viewport_size}:\n{report}"


def overlaps(first: Any, second: Any) -> bool:
    """Whether two elements' boxes intersect on screen."""
    a, b = first.bounding_box(), second.bounding_box()
    assert a is not None and b is not None
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )
