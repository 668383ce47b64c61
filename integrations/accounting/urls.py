"""Pages of integrations.accounting (mounted at the site root by config/urls.py)."""

from django.urls import include, path

from . import views

accounting_patterns = [
    path("accounting/export/", views.accounting_export, name="export"),
]

urlpatterns = [path("", include((accounting_patterns, "accounting")))]
