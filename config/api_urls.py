"""The REST API, version 1. Each app registers its viewsets on the one router."""

from django.urls import re_path
from django.utils.translation import gettext as _
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.routers import DefaultRouter

import tenancy.api_base  # noqa: F401  (registers the Bearer scheme with drf-spectacular)
from billing.api import register as register_billing
from confirmations.api import register as register_confirmations
from contracts.amendments_api import register as register_amendments
from contracts.api import register as register_contracts
from contracts.obligations_api import register as register_obligations
from disputes.api import register as register_disputes
from integrations.accounting.api import register as register_accounting
from integrations.idempotency.api import register as register_idempotency
from integrations.mail.api import register as register_mail
from integrations.webhooks.api import register as register_webhooks
from orders.api import register as register_orders
from reviews.api import register as register_reviews
from sla.api import register as register_sla
from tenancy.audit_api import register as register_audit
from tenancy.people_api import register as register_people

router = DefaultRouter()
register_contracts(router)
register_obligations(router)
register_amendments(router)
register_sla(router)
register_orders(router)
register_billing(router)
register_confirmations(router)
register_reviews(router)
register_disputes(router)
register_audit(router)
register_people(router)
register_webhooks(router)
register_idempotency(router)
register_mail(router)
register_accounting(router)


@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([])
def not_found(request, path=""):
    """Unknown API paths answer in the API's JSON error shape, not with an HTML page."""
    hint = "" if request.path.endswith("/") else " " + _("API paths end with a slash.")
    raise NotFound(_("There is no such API endpoint.") + hint)


not_found.cls.schema = None  # not part of the OpenAPI document

urlpatterns = [*router.urls, re_path(r"^(?P<path>.*)$", not_found)]
