"""The shape of the use cases and reads: no function in a `services.py`, `services/*.py` or
`selectors.py` of the project's apps runs over MAX_LINES lines, counted from its `def` to the last
line of its body, docstring included. A longer one is a pipeline waiting to be named in steps
(STYLE.md): split it. One that must stay is listed in `ALLOWED` with the reason, as debt to pay; an
entry that no longer runs long fails the test too, so the list only shrinks.

Complexity is ruff's: C901 (mccabe) with max-complexity 12, for the whole project, in
pyproject.toml; the last test here keeps that switched on.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 50
MAX_COMPLEXITY = 12
NOT_APPS = {"config", "tests"}

ALLOWED: dict[tuple[str, str], str] = {}


def _modules() -> list[Path]:
    """Every services and selectors module of the project's apps (migrations and tests aside)."""
    found = []
    for app in sorted(p for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name not in NOT_APPS):
        for path in sorted(app.rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts:
                continue
            if path.name in ("services.py", "selectors.py") or path.parent.name == "services":
                found.append(path)
    return found


def _functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, lines) of every function and method, nested ones too."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"{prefix}{node.name}", node.end_lineno - node.lineno + 1
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def _long_functions() -> dict[tuple[str, str], int]:
    long = {}
    for path in _modules():
        relative = path.relative_to(ROOT).as_posix()
        for name, lines in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            if lines > MAX_LINES:
                long[(relative, name)] = lines
    return long


def test_the_modules_are_found():
    names = {path.relative_to(ROOT).as_posix() for path in _modules()}
    assert {"contracts/services.py", "billing/selectors.py", "confirmations/services/signing.py",
            "contracts/obligations/services.py"} <= names
    assert not any("/migrations/" in name or name.startswith("tests/") for name in names)


def test_no_service_or_selector_runs_over_fifty_lines():
    new = {key: lines for key, lines in _long_functions().items() if key not in ALLOWED}
    assert new == {}, f"functions over {MAX_LINES} lines: name their steps as functions of their own"


def test_the_allowed_long_functions_are_still_long():
    paid = sorted(set(ALLOWED) - set(_long_functions()))
    assert paid == [], "debt paid: remove these from ALLOWED"


def test_ruff_checks_complexity():
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"]["lint"]
    assert "C90" in lint["select"] or "C901" in lint["select"]
    assert lint["mccabe"]["max-complexity"] <= MAX_COMPLEXITY
