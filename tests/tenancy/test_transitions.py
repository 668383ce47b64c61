"""The one transition pipeline (`tenancy.transitions`): each machine declares, `fire` runs.

The behaviour of each machine (roles, conditions, clocks, numbering, events) is tested with its
app; here: that every machine is a declaration over its model's own transitions, and that no
service fires a transition outside the pipeline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from billing.services import INVOICE_MACHINE
from contracts.services import CONTRACT_MACHINE
from orders.services import ORDER_MACHINE
from tenancy.errors import TransitionRefused
from tenancy.transitions import fire

MACHINES = {"contract": CONTRACT_MACHINE, "order": ORDER_MACHINE, "invoice": INVOICE_MACHINE}
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("machine", MACHINES.values(), ids=MACHINES.keys())
def test_an_unknown_action_is_refused_naming_the_field_before_any_row_is_read(machine):
    with pytest.raises(TransitionRefused) as refused:
        fire(machine, object(), "explode", actor=None)
    assert refused.value.field == "transition"
    assert refused.value.status == 409


@pytest.mark.parametrize("machine", MACHINES.values(), ids=MACHINES.keys())
def test_every_declared_transition_is_one_of_the_models_state_machine(machine):
    model = machine.events._meta.get_field(machine.events.SUBJECT).related_model
    assert machine.transitions
    for name in machine.transitions:
        assert hasattr(getattr(model, name), "_django_fsm"), f"{model.__name__}.{name} is no transition"
    assert machine.events.SUBJECT, "the timeline names its subject"
    for name in machine.conditions:
        assert name in machine.transitions


@pytest.mark.parametrize("app", ["contracts", "orders", "billing"])
def test_the_services_fire_transitions_only_through_the_pipeline(app):
    source = (ROOT / app / "services.py").read_text(encoding="utf-8")
    assert "can_proceed" not in source, f"{app}/services.py checks a transition itself"
    assert "_django_fsm" not in source


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
