from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from integrations.idempotency.forms import ThrottledAuthenticationForm
from tenancy.people_views import set_language

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # the language switcher also keeps a signed-in person's choice in their profile
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    # the sign-in page (a global name: settings.LOGIN_URL): failed sign-ins are counted per account and
    # per address (integrations.idempotency.throttling); composed here, so tenancy needs no integrations
    path("accounts/login/", auth_views.LoginView.as_view(
        redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm), name="login"),
    path("", include("tenancy.urls")),
    path("", include("contracts.urls")),
    path("", include("orders.urls")),
    path("", include("sla.urls")),
    path("", include("billing.urls")),
    path("", include("confirmations.urls")),
    path("", include("reviews.urls")),
    path("", include("disputes.urls")),
    path("", include("integrations.webhooks.urls")),
    path("", include("integrations.idempotency.urls")),
    path("", include("integrations.mail.urls")),
    path("", include("integrations.accounting.urls")),
    path("", include("search.urls")),
    path("notifications/", include("tenancy.notification_urls")),
    path("audit/", include("tenancy.audit_urls")),
]
