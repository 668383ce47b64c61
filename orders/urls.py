from django.urls import include, path

from . import views

order_patterns = [
    path("orders/", views.order_list, name="order-list"),
    path("orders/new/", views.order_create, name="order-create"),
    path("orders/bulk/", views.order_bulk, name="order-bulk"),
    path("orders/<int:pk>/", views.order_detail, name="order-detail"),
    path("orders/<int:pk>/edit/", views.order_edit, name="order-edit"),
    path("orders/<int:pk>/transition/<slug:name>/", views.order_transition, name="order-transition"),
    path("orders/<int:pk>/comments/", views.order_comment, name="order-comment"),
    path("orders/<int:pk>/attachments/", views.order_attach, name="order-attach"),
    path("orders/<int:pk>/attachments/<int:attachment_pk>/", views.order_attachment, name="order-attachment"),
    path("orders/<int:pk>/assign/", views.order_assign, name="order-assign"),
    path("portal/orders/", views.portal_order_list, name="portal-order-list"),
    path("portal/orders/new/", views.portal_order_create, name="portal-order-create"),
    path("portal/orders/<int:pk>/", views.portal_order_detail, name="portal-order-detail"),
    path("portal/orders/<int:pk>/attachments/<int:attachment_pk>/", views.portal_order_attachment,
         name="portal-order-attachment"),
]

urlpatterns = [path("", include((order_patterns, "orders")))]
