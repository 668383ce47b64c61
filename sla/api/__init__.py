"""The SLA part of the REST API (/api/v1/): breaches, calendars, SLA policies, force majeure."""

from __future__ import annotations

from .viewsets import BreachViewSet, BusinessCalendarViewSet, ForceMajeureViewSet, SLAPolicyViewSet


def register(router) -> None:
    router.register("breaches", BreachViewSet, basename="api-breach")
    router.register("calendars", BusinessCalendarViewSet, basename="api-calendar")
    router.register("sla-policies", SLAPolicyViewSet, basename="api-sla-policy")
    router.register("force-majeure", ForceMajeureViewSet, basename="api-force-majeure")
