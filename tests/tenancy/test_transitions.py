"""The one transition pipeline (`tenancy.transitions`): each machine declares, `fire` runs.

The behaviour of each machine (roles, conditions, clocks, numbering, events) is tested with its
app; here: that every machine is a declaration over its model's own transitions, and that no
service fires a transition outside the pipeline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from billing.services import INVOICE_MACHINE
from confirmations.services.acts import ACT_MACHINE
from contracts.amendments.services import AMENDMENT_MACHINE
from contracts.services import CONTRACT_MACHINE
from disputes.services import DISPUTE_MACHINE
from orders.services import ORDER_MACHINE
from reviews.services import ITEM_MACHINE, REVIEW_MACHINE
from tenancy.context import tenant_context
from tenancy.errors import TransitionRefused
from tenancy.transitions import fire

MACHINES = {"contract": CONTRACT_MACHINE, "order": ORDER_MACHINE, "invoice": INVOICE_MACHINE, "act": ACT_MACHINE,
            "review": REVIEW_MACHINE, "action_item": ITEM_MACHINE, "dispute": DISPUTE_MACHINE,
            "amendment": AMENDMENT_MACHINE}
ROOT = Path(__file__).resolve().parents[2]
# the modules that change a state: each fires through the pipeline, none checks a transition itself
SERVICES = ["contracts/services.py", "orders/services.py", "billing/services.py", "confirmations/services/acts.py",
            "confirmations/services/signing.py", "reviews/services.py", "disputes/services.py",
            "contracts/amendments/services.py"]


def _fsm_transitions(model) -> set[str]:
    """The names of the model's django-fsm transition methods."""
    return {name for name in dir(model) if hasattr(getattr(model, name, None), "_django_fsm")}


def _model(machine):
    """The model whose rows the machine fires (its `locked` queryset's; building it reads nothing)."""
    with tenant_context(0):
        return machine.locked().model


def _declared_methods(machine) -> set[str]:
    """The methods the machine may fire: its names, with a state-picked name's methods instead."""
    named = {name for name in machine.transitions if name not in machine.methods}
    return named | {method for methods in machine.methods.values() for method in methods.values()}


@pytest.mark.parametrize("machine", MACHINES.values(), ids=MACHINES.keys())
def test_an_unknown_action_is_refused_naming_the_field_before_any_row_is_read(machine):
    with pytest.raises(TransitionRefused) as refused:
        fire(machine, object(), "explode", actor=None)
    assert refused.value.field == "transition"
    assert refused.value.status == 409


@pytest.mark.parametrize("machine", MACHINES.values(), ids=MACHINES.keys())
def test_every_declared_transition_is_one_of_the_models_state_machine(machine):
    model = _model(machine)
    assert machine.transitions
    for name in _declared_methods(machine):
        assert hasattr(getattr(model, name), "_django_fsm"), f"{model.__name__}.{name} is no transition"
    assert machine.events.SUBJECT, "the timeline names its subject"
    for names in (machine.conditions, machine.refusals, machine.methods, machine.note_missing):
        for name in names:
            assert name in machine.transitions, f"{name} is not one of the machine's transitions"
    if machine.subject is None and machine.event is None:
        assert machine.events._meta.get_field(machine.events.SUBJECT).related_model is model, \
            "the machine's events are its own model's timeline, or it says whose (subject, event)"


@pytest.mark.parametrize("machine", MACHINES.values(), ids=MACHINES.keys())
def test_every_transition_of_the_model_is_declared_in_its_machine(machine):
    model = _model(machine)
    assert _fsm_transitions(model) == _declared_methods(machine), f"{model.__name__}: declare them all"


@pytest.mark.parametrize("path", SERVICES)
def test_the_services_fire_transitions_only_through_the_pipeline(path):
    source = (ROOT / path).read_text(encoding="utf-8")
    assert "can_proceed" not in source, f"{path} checks a transition itself"
    assert "_django_fsm" not in source
    assert "fire(" in source, f"{path} fires its transitions through tenancy.transitions"


def test_no_module_locks_a_row_and_checks_a_transition_itself():
    offenders = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative == "tenancy/transitions.py":
                continue
            source = path.read_text(encoding="utf-8")
            if "select_for_update" in source and "can_proceed" in source:
                offenders.append(relative)
    assert offenders == [], "fire the transition through tenancy.transitions.fire"


# --- side effects after commit (tenancy.effects) ----------------------------------------------------

APPS = ["tenancy", "contracts", "sla", "orders", "confirmations", "billing", "reviews", "disputes", "integrations",
        "search"]
# the audit chain's own after-commit hook: it merges the links of many events into one per tenant
OWN_ON_COMMIT = {"tenancy/chain.py", "tenancy/effects.py"}


def test_work_after_commit_is_queued_only_through_tenancy_effects():
    offenders = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative in OWN_ON_COMMIT:
                continue
            if "on_commit(" in path.read_text(encoding="utf-8").replace("on_commit_task(", "").replace(
                    "on_commit_call(", ""):
                offenders.append(relative)
    assert offenders == [], "queue after-commit work with tenancy.effects.on_commit_task / on_commit_call"


# --- role rules (tenancy.roles.require_role) ------------------------------------------------------


def test_services_check_a_manager_through_the_one_rule():
    copies = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*services*.py")):
            source = path.read_text(encoding="utf-8")
            if "not in CONTRACT_MANAGERS" in source or "has_role(actor, CONTRACT_MANAGERS)" in source:
                copies.append(path.relative_to(ROOT).as_posix())
    assert copies == [], "use tenancy.roles.require_manager / require_role"


def test_require_role_lets_the_system_through_only_when_asked(world_a):
    from tenancy.errors import ActionForbidden
    from tenancy.roles import CONTRACT_MANAGERS, require_manager, require_role

    with world_a.context():
        require_manager(world_a.account_manager)
        require_manager(None, system=True)
        with pytest.raises(ActionForbidden):
            require_manager(None)
        with pytest.raises(ActionForbidden) as refused:
            require_role(world_a.engineer, CONTRACT_MANAGERS, "Managers only.")
        assert str(refused.value) == "Managers only."
