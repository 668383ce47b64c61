"""Teams are set up in the Django admin; orders and SLA rows are there to look at, per tenant."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orders.models import Order, Team, TeamMember
from sla.models import Breach, BusinessCalendar, ForceMajeure, SLAPolicy
from tests.orders.api_support import TeamFactory

pytestmark = pytest.mark.django_db


def staff(client, user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    return client


def url(model, view="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_an_account_manager_sets_up_a_team_of_provider_staff(client, world_a, world_b):
    admin = staff(client, world_a.account_manager)
    form = admin.get(url(Team, "add"))
    assert form.status_code == 200
    with world_a.context():  # the form is read as the request read it, inside its tenant
        offered = set(form.context["inline_admin_formsets"][0].formset.empty_form.fields["user"].queryset)
    assert world_a.engineer in offered
    assert world_a.client_admin not in offered  # client users are not provider staff
    assert world_b.engineer not in offered

    response = admin.post(url(Team, "add"), {
        "name": "Field engineers", "kind": "resolution", "provider": world_a.own_provider.pk,
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "0",
        "memberships-0-user": world_a.engineer.pk,
    })
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    with world_a.context():
        team = Team.objects.get(name="Field engineers")
        assert team.tenant_id == world_a.tenant.pk
        assert list(TeamMember.objects.filter(team=team).values_list("user", flat=True)) == [world_a.engineer.pk]


def test_another_tenants_provider_or_person_cannot_join_a_team(client, world_a, world_b):
    response = staff(client, world_a.account_manager).post(url(Team, "add"), {
        "name": "Borrowed", "kind": "resolution", "provider": world_b.own_provider.pk,
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "0",
        "memberships-0-user": world_b.engineer.pk,
    })
    assert response.status_code == 200
    with world_a.context():
        assert not Team.objects.filter(name="Borrowed").exists()


def test_another_tenants_team_is_404_and_not_listed(client, world_a, world_b):
    theirs = TeamFactory(tenant=world_b.tenant, name="Their team")
    mine = TeamFactory(tenant=world_a.tenant, name="Our team")
    admin = staff(client, world_a.account_manager)
    listed = {t.pk for t in admin.get(url(Team)).context["cl"].result_list}
    assert listed == {mine.pk}
    assert admin.get(url(Team, "change", theirs.pk)).status_code == 404


@pytest.mark.parametrize("model", [Order, Breach, BusinessCalendar, SLAPolicy, ForceMajeure])
def test_orders_and_sla_rows_are_read_only_here(client, world_a, model):
    admin = staff(client, world_a.account_manager)
    assert admin.get(url(model)).status_code == 200
    assert admin.get(url(model, "add")).status_code == 403


def test_an_engineer_does_not_use_the_admin_for_teams(client, world_a):
    assert staff(client, world_a.engineer).get(url(Team)).status_code == 403
