"""The confirmations part of the REST API (/api/v1/): acts and the public verification of a sealed PDF."""

from __future__ import annotations

from .viewsets import ActViewSet, VerifyViewSet


def register(router) -> None:
    router.register("acts", ActViewSet, basename="api-act")
    router.register("verify", VerifyViewSet, basename="api-verify")
