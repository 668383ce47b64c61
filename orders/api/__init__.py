"""The orders part of the REST API (/api/v1/): orders with their clocks, comments and history; teams."""

from __future__ import annotations

from .viewsets import OrderViewSet, TeamViewSet


def register(router) -> None:
    router.register("orders", OrderViewSet, basename="api-order")
    router.register("teams", TeamViewSet, basename="api-team")
