from django.urls import path

from . import audit_views

app_name = "audit"

urlpatterns = [
    path("", audit_views.audit, name="audit"),
    path("export/", audit_views.audit_export_view, name="audit-export"),
]
