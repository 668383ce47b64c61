"""The OpenAPI document as a contract: schemathesis generates requests for every operation of our
own schema (/api/schema/), sends them to the Django app in-process (WSGI) with a tenant's API key,
and runs every check on each answer: no server error, only documented status codes, content types
and headers, bodies matching the documented schemas, schema-violating input refused
(`negative_data_rejection`), undeclared methods answered 405 with `Allow` (`unsupported_method`),
the key not ignored.

Two phases run for each operation, both deterministic (`derandomize`, no example database):
- coverage (hypothesis' `explicit` phase): schemathesis derives cases from the schema itself, each
  parameter's and property's boundaries and violations in every documented media type, and every
  undeclared method. It derives ~8,000 of them (all sent: ~5 minutes); `filter_case` sends the
  first of each kind `_coverage_key` tells apart, ~1,150, so that each parameter and property is
  still violated in each way once;
- generation (fuzzing): `EXAMPLES_PER_OPERATION` random positive and negative requests.
The data the requests meet (two tenants' worlds, a contract with an order) is built once for the
module and each operation's writes are rolled back after it. The module takes ~40 s on PostgreSQL
(with the test database's creation), ~45 s on SQLite.

One check is left out: `positive_data_acceptance` expects every schema-valid request to succeed,
but a schema cannot say which ids exist or which state an object is in (a generated `contract: 7`
names no contract of the tenant, a generated `suspend` finds a draft contract): the API rightly
answers 400, 404 or 409 there, as documented.

POST /api/v1/verify/ belongs to the verification work and has its own property test.
"""

from __future__ import annotations

import re

import pytest
import schemathesis
import time_machine
from django.core.wsgi import get_wsgi_application
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario
from schemathesis.specs.openapi.checks import positive_data_acceptance
from schemathesis.transport.serialization import serialize_binary

from tests.clock import frozen_start
from tests.conftest import build_world
from tests.contracts.api_support import active_contract
from tests.support import raise_order

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 2
EXCLUDED = [positive_data_acceptance]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application()).exclude(
    path="/api/v1/verify/",
)



@schemathesis.serializer("message/rfc822")
def _raw_email(ctx, value) -> bytes | None:
    """POST /api/v1/mail/inbound/ takes a raw e-mail: the generated body's bytes, as they are."""
    return None if value is None else serialize_binary(value)


_CONTENT_TYPE_PROBES = {CoverageScenario.MALFORMED_CONTENT_TYPE, CoverageScenario.UNSUPPORTED_CONTENT_TYPE}
_seen: set[tuple] = set()


@schema.hook
def filter_case(context, case) -> bool:
    """Fuzzing cases all; coverage cases sampled by `_coverage_key` (see the module's docstring)."""
    data = case.meta.phase.data if case.meta else None
    if not isinstance(data, CoveragePhaseData):
        return True
    key = _coverage_key(case, data)
    if key is None or key in _seen:
        return False
    _seen.add(key)
    return True


def _coverage_key(case, data) -> tuple | None:
    """Coverage cases with the same key test the same thing; the first of each is sent.

    - TRACE and one other undeclared method of each path, each content-type probe of each operation;
    - one positive case per operation (`positive_data_acceptance` is off, see above);
    - each violation of each query parameter (`page` once: the same paginator everywhere), one
      per path or header parameter; unknown query parameters not at all (they are ignored, rightly);
    - each violation of each body property per collection (POST, PUT and PATCH of one resource
      share their fields), a wrong type both as JSON and as a form field (forms carry only text).
    """
    operation, mode, scenario = case.operation, case.meta.generation.mode, data.scenario
    location = str(data.parameter_location or "").rsplit(".", 1)[-1].lower()
    if scenario == CoverageScenario.UNSPECIFIED_HTTP_METHOD:
        return (operation.path, case.method == "TRACE")
    if scenario in _CONTENT_TYPE_PROBES:
        return (operation.label, scenario)
    if mode.is_positive:
        return (operation.label, "positive")
    if location == "query":
        if scenario == CoverageScenario.OBJECT_UNEXPECTED_PROPERTIES:
            return None
        return ("" if data.parameter == "page" else operation.label, scenario, data.parameter)
    if location in ("path", "header", "cookie"):
        return (operation.label, location, data.parameter)
    resource = re.sub(r"\{[^}]+\}/$", "", operation.path)
    form = scenario == CoverageScenario.INCORRECT_TYPE and "json" not in (case.media_type or "")
    return (resource, scenario, data.location, form)


@pytest.fixture(scope="module")
def _shared_data(django_db_setup, django_db_blocker):
    """Both tenants, tenant A's admin key, and a contract with an order, so that some generated ids
    exist; built once, rolled back when the module ends (each test runs in a savepoint inside)."""
    from tenancy.services import api_key_create

    with django_db_blocker.unblock(), time_machine.travel(frozen_start(), tick=True), transaction.atomic():
        world_a, _world_b = build_world("A"), build_world("B")
        raise_order(world_a, active_contract(world_a))
        with world_a.context(user=world_a.admin):
            _key, raw = api_key_create(actor=world_a.admin, name="contract test", scopes=["read", "write"])
        yield {"Authorization": f"Bearer {raw}"}
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def _connection_kept_open():
    """As Django's test client does: the request cycle must not close the test's connection."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def auth_header(_connection_kept_open, _shared_data, db):
    return _shared_data


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_its_contract(case, auth_header):
    case.call_and_validate(headers=auth_header, excluded_checks=EXCLUDED)
