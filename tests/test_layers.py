"""The direction of dependencies (DESIGN.md): an app imports only the apps below it.

    tenancy ← contracts ← sla ← orders ← confirmations ← billing ← reviews ← disputes ← search, integrations ← demo

Reads every module's imports (top level and inside functions, so a deferred import counts too).
The imports that still point up are listed in `KNOWN` with the reason, as debt to pay: a new one
fails the test, and so does an entry that no longer exists.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["tenancy", "contracts", "sla", "orders", "confirmations", "billing", "reviews", "disputes",
          ("search", "integrations"), "demo"]
RANK = {app: rank for rank, layer in enumerate(LAYERS) for app in (layer if isinstance(layer, tuple) else (layer,))}

KNOWN: dict[tuple[str, str], str] = {}


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def _upward() -> set[tuple[str, str]]:
    found = set()
    for app, rank in RANK.items():
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative:
                continue
            for module in _imports(path):
                target = module.split(".")[0]
                if target in RANK and target != app and RANK[target] >= rank:
                    found.add((relative, target))
    return found


def test_no_app_imports_one_above_it():
    new = sorted(_upward() - set(KNOWN))
    assert new == [], "an app imports one above it (or beside it); see DESIGN.md's direction"


def test_the_known_upward_imports_are_still_there():
    paid = sorted(set(KNOWN) - _upward())
    assert paid == [], "debt paid: remove these from KNOWN"


def test_every_app_is_placed_in_a_layer():
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")} | {"integrations"}
    assert apps - {"config"} <= set(RANK) | {"webhooks", "idempotency", "mail", "accounting"}
