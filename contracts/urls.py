from django.urls import include, path

from . import obligation_views, views

contract_patterns = [
    path("clients/", views.client_list, name="client-list"),
    path("clients/new/", views.client_create, name="client-create"),
    path("clients/<int:pk>/", views.client_detail, name="client-detail"),
    path("clients/<int:pk>/edit/", views.client_edit, name="client-edit"),
    path("providers/", views.provider_list, name="provider-list"),
    path("providers/new/", views.provider_create, name="provider-create"),
    path("providers/<int:pk>/edit/", views.provider_edit, name="provider-edit"),
    path("contracts/", views.contract_list, name="contract-list"),
    path("contracts/new/", views.contract_create, name="contract-create"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract-detail"),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="contract-edit"),
    path("contracts/<int:pk>/transition/<slug:name>/", views.contract_transition, name="contract-transition"),
    path("contracts/<int:pk>/parties/add/", views.contract_party_add, name="contract-party-add"),
    path("contracts/<int:pk>/parties/<int:party_pk>/remove/", views.contract_party_remove,
         name="contract-party-remove"),
    path("contracts/<int:pk>/roles/add/", views.contract_role_add, name="contract-role-add"),
    path("contracts/<int:pk>/roles/<int:role_pk>/remove/", views.contract_role_remove, name="contract-role-remove"),
    path("contracts/<int:pk>/obligations/", obligation_views.contract_obligations, name="contract-obligations"),
    path("obligations/", obligation_views.occurrence_list, name="obligation-occurrences"),
    path("obligations/<int:pk>/edit/", obligation_views.obligation_edit, name="obligation-edit"),
    path("obligations/occurrences/<int:pk>/", obligation_views.occurrence_detail, name="obligation-occurrence"),
    path("obligations/occurrences/<int:pk>/complete/", obligation_views.occurrence_complete,
         name="obligation-occurrence-complete"),
    path("obligations/occurrences/<int:pk>/evidence/", obligation_views.occurrence_evidence,
         name="obligation-occurrence-evidence"),
    path("obligations/templates/", obligation_views.template_list, name="obligation-templates"),
    path("obligations/templates/<int:pk>/edit/", obligation_views.template_edit, name="obligation-template-edit"),
    path("obligations/templates/<int:pk>/apply/", obligation_views.template_apply, name="obligation-template-apply"),
    path("portal/contracts/<int:pk>/", views.portal_contract, name="portal-contract"),
]

urlpatterns = [
    # global names: settings.LOGIN_REDIRECT_URL and the access decorators use them
    path("", views.home, name="home"),
    path("portal/", views.portal, name="portal"),
    path("", include((contract_patterns, "contracts"))),
]
