from django.urls import include, path

from . import views

review_patterns = [
    path("reviews/", views.review_list, name="review-list"),
    path("reviews/new/", views.review_create, name="review-create"),
    path("reviews/items/", views.item_list, name="item-list"),
    path("reviews/<int:pk>/", views.review_detail, name="review-detail"),
    path("reviews/<int:pk>/<str:name>/", views.review_transition, name="review-transition"),
    path("reviews/<int:pk>/items/add/", views.item_create, name="review-item-create"),
    path("reviews/<int:pk>/items/<int:item_pk>/", views.item_update, name="review-item-update"),
    path("reviews/<int:pk>/items/<int:item_pk>/<str:name>/", views.item_transition, name="review-item-transition"),
    path("reviews/<int:pk>/report.pdf", views.report_pdf, name="review-pdf"),
    path("reviews/<int:pk>/report.csv", views.report_csv, name="review-csv"),
    path("portal/reviews/", views.portal_review_list, name="portal-review-list"),
    path("portal/reviews/items/", views.portal_item_list, name="portal-item-list"),
    path("portal/reviews/<int:pk>/", views.portal_review_detail, name="portal-review-detail"),
    path("portal/reviews/<int:pk>/confirm/", views.portal_review_confirm, name="portal-review-confirm"),
    path("portal/reviews/<int:pk>/report.pdf", views.report_pdf, name="portal-review-pdf"),
]

urlpatterns = [path("", include((review_patterns, "reviews")))]
