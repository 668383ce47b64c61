"""tenancy.widgets: the Python-written `<select>` and the values-read choices give Django's own HTML, on
every form that offers the tenant's contracts."""

from __future__ import annotations

import pytest
from django import forms
from django.utils.html import escape
from django.utils.safestring import mark_safe

from billing.forms import BuildForm
from confirmations.forms import ActCreateForm
from disputes.forms import DisputeOpenForm
from integrations.mail.forms import ConvertForm
from orders.forms import BulkActionForm, OrderFilterForm
from reviews.forms import ReviewCreateForm
from sla.forms import BreachFilterForm
from tenancy.audit_views import AuditExportForm
from tenancy.widgets import FastSelect
from tests.contracts.api_support import active_contract
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("choices", "value", "attrs"), [
    ([("", "All"), ("a", "A & <b>"), (1, "one"), ("group", [("x", "X"), ("y", 'Y"q')])], "x",
     {"id": "id_f", "aria-describedby": "help", "required": True, "disabled": False}),
    ([("", "—")], None, None),
    ([(mark_safe("<s>"), mark_safe("<i>safe</i>"))], "<s>", {"class": 'a"b'}),
    ([], None, None),
    ([("", [("a", "A")]), (None, "none"), ("a", "again")], "a", {"id": "x"}),  # an unnamed group; one selected
    ([(1, "one"), (2, "two")], 2, {}),
    ([(1, "one")], [1], {}),
])
def test_the_fast_select_writes_what_djangos_select_renders(choices, value, attrs):
    assert FastSelect(choices=choices).render("n&m", value, attrs) == \
        forms.Select(choices=choices).render("n&m", value, attrs)


def _as_django(form):
    """The same form with Django's own widget and a model instance per option."""
    for field in form.fields.values():
        if type(field.widget) is FastSelect:
            field.widget.__class__ = forms.Select
        if hasattr(field, "label_values"):
            field.iterator = forms.models.ModelChoiceIterator
            field.widget.choices = field.choices
    return form


@pytest.mark.parametrize("client_side", [False, True])
def test_the_orders_filter_form_renders_as_with_djangos_widgets(world_a, client_side):
    contracts = [ContractFactory(tenant=world_a.tenant, client=world_a.client, title=f"Support <{n}> & more")
                 for n in range(3)]
    with world_a.context(user=world_a.admin):
        client_id = world_a.client.pk if client_side else None
        data = {"contract": str(contracts[1].pk), "sort": "newest", "state": "open"}
        ours = str(OrderFilterForm(data, client_id=client_id))
        assert "Support &lt;1&gt; &amp; more" in ours and "selected" in ours
        theirs = str(_as_django(OrderFilterForm(data, client_id=client_id)))
        assert "<select" in ours
        assert ours == theirs
        form = OrderFilterForm(data, client_id=client_id)
        assert {field.widget_type for field in form if "select" in field.widget_type} == {"select"}
        assert str(BulkActionForm()) == str(_as_django(BulkActionForm()))


def test_the_other_contract_choices_render_as_with_djangos_widgets(world_a):
    contracts = [active_contract(world_a, title=f"Cleaning <{n}> & more") for n in range(2)]
    with world_a.context(user=world_a.admin):
        data = {"contract": str(contracts[1].pk)}

        def build(make):
            return make(data, tenant=world_a.tenant) if make is AuditExportForm else make(data)

        for make in (BreachFilterForm, BuildForm, ActCreateForm, ReviewCreateForm, DisputeOpenForm,
                     AuditExportForm, ConvertForm):
            ours = str(build(make))
            assert contracts[0].number in ours and escape(contracts[0].title) in ours and "<select" in ours, make
            if make not in (AuditExportForm, ConvertForm):  # the label those forms gave a contract: its `str()`
                assert f">{escape(str(contracts[0]))}</option>" in ours, make
            assert f'value="{contracts[1].pk}" selected' in ours, make
            assert ours == str(_as_django(build(make))), make
