from django.urls import include, path

from . import views

billing_patterns = [
    path("billing/", views.desk, name="desk"),
    path("billing/build/", views.build, name="build"),
    path("billing/export/", views.period_export, name="period-export"),
    path("billing/invoices/<int:pk>/", views.invoice_detail, name="invoice-detail"),
    path("billing/invoices/<int:pk>/transition/<slug:name>/", views.invoice_transition, name="invoice-transition"),
    path("billing/invoices/<int:pk>/rebuild/", views.invoice_rebuild, name="invoice-rebuild"),
    path("billing/invoices/<int:pk>/waive/", views.breach_waive, name="breach-waive"),
    path("billing/invoices/<int:pk>/credit-note/", views.credit_note_create, name="credit-note-create"),
    path("billing/invoices/<int:pk>/export/<slug:fmt>/", views.invoice_export, name="invoice-export"),
    path("contracts/<int:pk>/rating-bands/", views.rating_bands, name="rating-bands"),
    path("contracts/<int:pk>/rating-bands/<int:band_pk>/", views.rating_band_update, name="rating-band-update"),
    path("contracts/<int:pk>/rating-bands/<int:band_pk>/delete/", views.rating_band_delete,
         name="rating-band-delete"),
    path("portal/invoices/", views.portal_invoice_list, name="portal-invoice-list"),
    path("portal/invoices/<int:pk>/", views.portal_invoice_detail, name="portal-invoice-detail"),
    path("portal/invoices/<int:pk>/pdf/", views.portal_invoice_pdf, name="portal-invoice-pdf"),
]

urlpatterns = [path("", include((billing_patterns, "billing")))]
