"""Pages of integrations.webhooks (mounted at the site root by config/urls.py)."""

urlpatterns: list = []
