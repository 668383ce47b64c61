"""The API's description of who may call a transition is read from the app's declared role set, so
the OpenAPI text and the rule the services enforce are one."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from billing.services import BILLING_MANAGERS
from tenancy.roles import CONTRACT_MANAGERS, Role, roles_allowed


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_roles_allowed_names_the_roles_in_declaration_order():
    assert roles_allowed({Role.ACCOUNTANT, Role.ADMIN}) == "Roles allowed: `admin`, `accountant`."


@pytest.mark.parametrize(("path", "roles"), [
    ("/api/v1/contracts/{id}/activate/", CONTRACT_MANAGERS),
    ("/api/v1/contracts/{id}/terminate/", CONTRACT_MANAGERS),
    ("/api/v1/invoices/{id}/issue/", BILLING_MANAGERS),
    ("/api/v1/invoices/{id}/void/", BILLING_MANAGERS),
])
def test_a_transition_documents_the_roles_its_service_checks(schema, path, roles):
    assert roles_allowed(roles) in schema["paths"][path]["post"]["description"]
