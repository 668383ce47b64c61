"""Every timeline says what happened in a closed vocabulary: each event table declares its kinds
(`Kind` choices on `kind`), and the services name a kind by that enum, never by a bare string."""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps

from tenancy.events import Event

ROOT = Path(__file__).resolve().parents[2]


def _event_models():
    return [model for model in apps.get_models() if issubclass(model, Event)]


def test_every_event_table_declares_its_kinds():
    assert len(_event_models()) >= 8  # contracts, orders, acts, invoices, reviews, disputes, members, invitations
    undeclared = [model.__name__ for model in _event_models()
                  if not getattr(model, "Kind", None) or not model._meta.get_field("kind").choices]
    assert undeclared == []


def test_every_kind_has_a_label_of_its_own():
    for model in _event_models():
        labels = [str(label) for _value, label in model.Kind.choices]
        assert all(labels), model.__name__


def _string_kinds(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name not in {"_record", "record"}:
            continue
        for keyword in node.keywords:
            if keyword.arg == "kind" and isinstance(keyword.value, ast.Constant):
                yield f"{path.relative_to(ROOT)}:{node.lineno}"


def test_services_name_event_kinds_by_their_enum():
    modules = [*ROOT.glob("*/services.py"), *ROOT.glob("*/services/*.py"), *ROOT.glob("*/*/services.py"),
               ROOT / "tenancy" / "people.py"]
    found = [hit for path in modules if ".venv" not in path.parts for hit in _string_kinds(path)]
    assert found == []
