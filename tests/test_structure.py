"""The library's modules import each other without cycles, counting imports inside functions too."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "cnkz"


def imports(path: Path) -> set[str]:
    """The cnkz modules a module imports anywhere in its body."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cnkz."):
            found.add(node.module.split(".")[1])  # type: ignore[union-attr]
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("cnkz."))
    return found - {path.stem}


def graph() -> dict[str, set[str]]:
    return {path.stem: imports(path) for path in PACKAGE.glob("*.py") if path.stem != "__init__"}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules around it, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target):], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(edges):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles_in_the_library() -> None:
    edges = graph()
    assert {"validate", "build", "load", "fetch", "reader"} <= set(edges)
    assert cycle(edges) is None, " -> ".join(cycle(edges) or [])


def test_validation_does_not_reach_up_and_loading_does_not_download() -> None:
    edges = graph()
    assert not edges["validate"] & {"build", "audit", "docs", "release", "cli"}
    assert "fetch" not in edges["load"]
    assert not {m for m, targets in edges.items() if "cli" in targets}, "the library never imports the CLI"


def test_the_slow_modules_are_test_modules_here() -> None:
    from .conftest import SLOW_MODULES

    present = {path.stem for path in Path(__file__).parent.glob("test_*.py")}
    assert present >= SLOW_MODULES, sorted(SLOW_MODULES - present)
