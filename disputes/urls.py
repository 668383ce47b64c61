from django.urls import include, path

from . import views

dispute_patterns = [
    path("disputes/", views.dispute_list, name="dispute-list"),
    path("disputes/new/", views.dispute_create, name="dispute-create"),
    path("disputes/<int:pk>/", views.dispute_detail, name="dispute-detail"),
    path("disputes/<int:pk>/documents/<int:document_pk>/", views.dispute_document, name="dispute-document"),
    path("disputes/<int:pk>/<slug:name>/", views.dispute_action, name="dispute-action"),
    path("portal/disputes/", views.portal_dispute_list, name="portal-dispute-list"),
    path("portal/disputes/new/", views.portal_dispute_create, name="portal-dispute-create"),
    path("portal/disputes/<int:pk>/", views.portal_dispute_detail, name="portal-dispute-detail"),
    path("portal/disputes/<int:pk>/documents/<int:document_pk>/", views.portal_dispute_document,
         name="portal-dispute-document"),
    path("portal/disputes/<int:pk>/<slug:name>/", views.portal_dispute_action, name="portal-dispute-action"),
]

urlpatterns = [path("", include((dispute_patterns, "disputes")))]
