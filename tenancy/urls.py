from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from . import people_views, views

tenancy_patterns = [
    path("organisation/switch/", views.tenant_switch, name="tenant-switch"),
    path("organisation/details/", views.legal_details, name="legal-details"),
    path("organisation/members/", people_views.members, name="members"),
    path("organisation/members/<int:pk>/", people_views.member_detail, name="member-detail"),
    path("organisation/members/<int:pk>/active/", people_views.member_set_active, name="member-active"),
    path("organisation/invitations/", people_views.invitation_create, name="invitation-create"),
    path("organisation/invitations/<int:pk>/resend/", people_views.invitation_resend, name="invitation-resend"),
    path("organisation/invitations/<int:pk>/revoke/", people_views.invitation_revoke, name="invitation-revoke"),
    path("invitations/<str:token>/", people_views.invitation_accept, name="invitation-accept"),
    path("accounts/profile/", people_views.profile, name="profile"),
    path("api-keys/", views.api_keys, name="api-keys"),
    path("api-keys/created/", views.api_key_created, name="api-key-created"),
    path("api-keys/<int:pk>/revoke/", views.api_key_revoke_view, name="api-key-revoke"),
]

urlpatterns = [
    # global names: settings.LOGIN_URL and LOGOUT_REDIRECT_URL use them, and Django's password views;
    # the sign-in page ("login") is config/urls.py's, with integrations' throttled form
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/reset/", people_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/password/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/password/reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("accounts/password/change/", auth_views.PasswordChangeView.as_view(
        success_url=reverse_lazy("password_change_done")), name="password_change"),
    path("accounts/password/change/done/", auth_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("", include((tenancy_patterns, "tenancy"))),
]
