"""Every model of the project's apps has a factory, and each factory makes a valid row: one that
passes the model's validation and the database's constraints (on PostgreSQL also the composite
tenant keys and row-level security), with every related row in the same tenant."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models

import tests.factories as factories
from tenancy.context import tenant_context

PROJECT = Path(settings.BASE_DIR).resolve()

FACTORIES = sorted(
    (getattr(factories, name) for name in factories.__all__ if name.endswith("Factory")
     and not getattr(factories, name)._meta.abstract),
    key=lambda f: f._meta.model._meta.label,
)


def project_models() -> list[type[models.Model]]:
    """Every concrete model of an app that lives in this repository (not Django's, not a library's)."""
    return [
        model for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(PROJECT) and ".venv" not in Path(config.path).parts
        for model in config.get_models()
    ]


def test_every_model_of_the_project_has_a_factory():
    covered = {factory._meta.model for factory in FACTORIES}
    missing = sorted(model._meta.label for model in project_models() if model not in covered)
    assert missing == []


def test_each_model_has_one_factory():
    labels = [factory._meta.model._meta.label for factory in FACTORIES]
    assert sorted({label for label in labels if labels.count(label) > 1}) == []


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _tenant_id(row) -> int | None:
    return getattr(row, "tenant_id", None)


@pytest.mark.django_db
@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f._meta.model._meta.label)
def test_the_factory_makes_a_valid_row_in_one_tenant(factory, media_root):
    row = factory()
    model = type(row)
    tenant_id = _tenant_id(row) if model is not factories.TenantFactory._meta.model else row.pk
    with tenant_context(tenant_id):
        saved = model._base_manager.get(pk=row.pk)
        # a protected state field (django-fsm) refuses the assignment full_clean makes
        saved.full_clean(exclude=[f.name for f in model._meta.fields if getattr(f, "protected", False)])
        # every row it points at is of the same tenant (the composite keys hold on PostgreSQL)
        for field in model._meta.concrete_fields:
            if not field.is_relation or field.name == "tenant":
                continue
            target = getattr(saved, field.name)
            if target is not None and _tenant_id(target) is not None and tenant_id is not None:
                assert _tenant_id(target) == tenant_id, f"{model.__name__}.{field.name} is of another tenant"


@pytest.mark.django_db
def test_a_row_given_as_an_argument_sets_the_tenant():
    contract = factories.ContractFactory()
    order = factories.OrderFactory(contract=contract)
    rating = factories.OrderRatingFactory(confirmation=factories.ConfirmationFactory(act__contract=contract))
    assert order.tenant_id == rating.tenant_id == rating.order.tenant_id == contract.tenant_id
    assert rating.order.contract == rating.confirmation.contract == contract


@pytest.mark.django_db
def test_evidence_factories_keep_to_the_invoice_contract():
    line_breach = factories.InvoiceLineBreachFactory()
    line_confirmation = factories.InvoiceLineConfirmationFactory()
    line_act = factories.InvoiceLineActFactory()
    assert line_breach.breach.contract == line_breach.line.invoice.contract
    assert line_confirmation.confirmation.contract == line_confirmation.line.invoice.contract
    assert line_act.act.contract == line_act.line.invoice.contract
    credit = factories.DisputeCreditNoteFactory()
    assert credit.credit_note.invoice.contract == credit.dispute.contract
