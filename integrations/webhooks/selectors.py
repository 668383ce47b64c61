"""Reads of webhooks, scoped to what the caller manages: a tenant administrator every endpoint of
the tenant, a client administrator their client's (`client_id`)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from .models import Attempt, Delivery, Endpoint


def endpoint_list(*, client_id: int | None) -> QuerySet[Endpoint]:
    endpoints = Endpoint.objects.select_related("client", "created_by").annotate(delivery_count=Count("deliveries"))
    if client_id is not None:
        endpoints = endpoints.filter(client_id=client_id)
    return endpoints.order_by("-created_at", "-id")


def delivery_list(*, client_id: int | None, endpoint: Endpoint | None = None) -> QuerySet[Delivery]:
    deliveries = Delivery.objects.select_related("endpoint").prefetch_related(
        Prefetch("attempts", queryset=Attempt.objects.order_by("-at", "-id")))
    if client_id is not None:
        deliveries = deliveries.filter(endpoint__client_id=client_id)
    if endpoint is not None:
        deliveries = deliveries.filter(endpoint=endpoint)
    return deliveries.order_by("-created_at", "-id")
