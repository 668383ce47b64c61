"""Pages of integrations.accounting (mounted at the site root by config/urls.py)."""

urlpatterns: list = []
