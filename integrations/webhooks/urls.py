"""Pages of integrations.webhooks (mounted at the site root by config/urls.py): one set for the
tenant's administrators and the client administrators (who see their client's endpoints only)."""

from django.urls import include, path

from . import views

webhook_patterns = [
    path("webhooks/", views.endpoint_list, name="webhook-list"),
    path("webhooks/<int:pk>/", views.endpoint_detail, name="webhook-detail"),
    path("webhooks/<int:pk>/secret/", views.endpoint_secret, name="webhook-secret"),
    path("webhooks/<int:pk>/test/", views.endpoint_test, name="webhook-test"),
    path("webhooks/<int:pk>/rotate/", views.endpoint_rotate, name="webhook-rotate"),
    path("webhooks/<int:pk>/delete/", views.endpoint_delete_view, name="webhook-delete"),
    path("webhooks/<int:pk>/deliveries/<int:delivery_pk>/replay/", views.delivery_replay_view,
         name="webhook-replay"),
]

urlpatterns = [path("", include((webhook_patterns, "webhooks")))]
