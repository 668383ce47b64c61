from django.urls import include, path

from . import views

sla_patterns = [
    path("sla/calendars/", views.calendar_list, name="calendar-list"),
    path("sla/calendars/new/", views.calendar_create, name="calendar-create"),
    path("sla/calendars/<int:pk>/edit/", views.calendar_edit, name="calendar-edit"),
    path("sla/policies/<int:pk>/edit/", views.policy_edit, name="policy-edit"),
    path("contracts/<int:pk>/sla/", views.contract_sla, name="contract-sla"),
    path("contracts/<int:pk>/sla/policies/new/", views.policy_create, name="policy-create"),
    path("contracts/<int:pk>/force-majeure/", views.force_majeure_start, name="force-majeure-start"),
    path("contracts/<int:pk>/force-majeure/lift/", views.force_majeure_lift, name="force-majeure-lift"),
    path("breaches/", views.breach_list, name="breach-list"),
]

urlpatterns = [path("", include((sla_patterns, "sla")))]
