from django.contrib.auth import views as auth_views
from django.urls import include, path

from integrations.idempotency.forms import ThrottledAuthenticationForm

from . import views

tenancy_patterns = [
    path("organisation/switch/", views.tenant_switch, name="tenant-switch"),
    path("organisation/details/", views.legal_details, name="legal-details"),
    path("api-keys/", views.api_keys, name="api-keys"),
    path("api-keys/created/", views.api_key_created, name="api-key-created"),
    path("api-keys/<int:pk>/revoke/", views.api_key_revoke_view, name="api-key-revoke"),
]

urlpatterns = [
    # global names: settings.LOGIN_URL and LOGOUT_REDIRECT_URL use them
    # failed sign-ins are counted per account and per address (integrations.idempotency.throttling)
    path("accounts/login/", auth_views.LoginView.as_view(
        redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include((tenancy_patterns, "tenancy"))),
]
