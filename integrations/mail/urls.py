"""Pages of integrations.mail (mounted at the site root by config/urls.py)."""

from django.urls import include, path

from . import views

mail_patterns = [
    path("mail/inbound/", views.inbound_list_view, name="inbound-list"),
    path("mail/inbound/<int:pk>/", views.inbound_detail_view, name="inbound-detail"),
    path("mail/inbound/<int:pk>/convert/", views.inbound_convert_view, name="inbound-convert"),
    path("mail/inbound/<int:pk>/discard/", views.inbound_discard_view, name="inbound-discard"),
    path("mail/outbound/", views.outbound_list_view, name="outbound-list"),
]

urlpatterns = [path("", include((mail_patterns, "mail")))]
