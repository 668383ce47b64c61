"""The product's URLs plus the list benchmark's baselines under /bench-baseline/ (never in config.urls).

Each API baseline is what a plain DRF list would be over the same table: a `ModelSerializer` with
`fields = "__all__"`, a `ListAPIView`, `PageNumberPagination` of 50, the model's default ordering,
DRF's own JSON renderer (the product writes its JSON with orjson, `tenancy.api_render`). It
goes through the same middleware, the same API-key authentication and tenant permission, and the
same row-level security as the product's views: only the view differs. The page baseline is a plain
Django page of 25 orders (Paginator, one inline template) behind the same login and tenant.

`bare/` is the floor: an API view behind the same key, permission and middleware that reads nothing
and answers an empty page — what any list pays before its first row.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.template import engines
from django.urls import include, path
from rest_framework import generics, pagination, renderers, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.models import Invoice
from config.urls import urlpatterns as product_urlpatterns
from confirmations.models import Act
from contracts.models import Contract
from orders.models import Order
from sla.models import Breach
from tenancy.decorators import provider_page


class FiftyPerPage(pagination.PageNumberPagination):
    page_size = 50


def baseline_view(model):
    """A plain `ListAPIView` of `model`: every field, 50 a page."""
    meta = type("Meta", (), {"model": model, "fields": "__all__"})
    serializer = type(f"Plain{model.__name__}Serializer", (serializers.ModelSerializer,), {"Meta": meta})
    view = type(f"Plain{model.__name__}List", (generics.ListAPIView,), {
        "serializer_class": serializer, "pagination_class": FiftyPerPage, "filter_backends": [],
        "renderer_classes": [renderers.JSONRenderer, renderers.BrowsableAPIRenderer],  # DRF's own, not the product's
        "get_queryset": lambda self: model.objects.all(),
    })
    view.schema = None  # not part of any OpenAPI document
    return view.as_view()


class BareView(APIView):
    """The key, the tenant permission and the middleware (the API's defaults), then an empty page."""

    schema = None

    def get(self, request):
        return Response({"count": 0, "next": None, "previous": None, "results": []})


PAGE = engines["django"].from_string("""<!doctype html>
<html><head><title>Orders</title></head><body><table>
<tr><th>Number</th><th>Title</th><th>Client</th><th>State</th><th>Priority</th><th>Reported</th></tr>
{% for order in page.object_list %}<tr><td>{{ order.number }}</td><td>{{ order.title }}</td>
<td>{{ order.client.name }}</td><td>{{ order.get_state_display }}</td><td>{{ order.get_priority_display }}</td>
<td>{{ order.reported_at }}</td></tr>
{% endfor %}</table>
{% if page.has_next %}<a href="?page={{ page.next_page_number }}">next</a>{% endif %}</body></html>""")


@provider_page
def plain_order_page(request):
    """25 orders of the current tenant, newest first: the least a Django page of orders does."""
    page = Paginator(Order.objects.select_related("client"), 25).get_page(request.GET.get("page"))
    return HttpResponse(PAGE.render({"page": page}, request))


BASELINES = {"orders": Order, "contracts": Contract, "acts": Act, "invoices": Invoice, "breaches": Breach}

baseline_patterns = [
    *[path(f"api/{name}/", baseline_view(model), name=f"baseline-{name}") for name, model in BASELINES.items()],
    path("api/bare/", BareView.as_view(), name="baseline-bare"),
    path("orders-page/", plain_order_page, name="baseline-orders-page"),
]

urlpatterns = [path("bench-baseline/", include(baseline_patterns)), *product_urlpatterns]
