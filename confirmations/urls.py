from django.urls import include, path

from . import views

act_patterns = [
    path("acts/", views.act_list, name="act-list"),
    path("acts/new/", views.act_create, name="act-create"),
    path("acts/<int:pk>/", views.act_detail, name="act-detail"),
    path("acts/<int:pk>/lines/", views.act_lines, name="act-lines"),
    path("acts/<int:pk>/send/", views.act_send, name="act-send"),
    path("acts/<int:pk>/status/", views.act_status, name="act-status"),
    path("acts/<int:pk>/pdf/", views.act_pdf, name="act-pdf"),
    path("acts/<int:pk>/sealed.pdf", views.act_sealed_pdf, name="act-sealed-pdf"),
    path("corrective-actions/", views.corrective_action_list, name="corrective-action-list"),
    path("corrective-actions/<int:pk>/plan/", views.corrective_action_plan, name="corrective-action-plan"),
    path("portal/acts/", views.portal_act_list, name="portal-act-list"),
    path("portal/acts/<int:pk>/", views.portal_act_detail, name="portal-act-detail"),
    path("portal/acts/<int:pk>/sign/", views.portal_act_sign, name="portal-act-sign"),
    path("portal/acts/<int:pk>/code/", views.portal_act_code, name="portal-act-code"),
    path("portal/acts/<int:pk>/dispute/", views.portal_act_dispute, name="portal-act-dispute"),
    path("verify/", views.verify, name="verify"),
]

urlpatterns = [path("", include((act_patterns, "confirmations")))]
