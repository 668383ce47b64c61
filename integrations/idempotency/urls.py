"""Pages of integrations.idempotency (mounted at the site root by config/urls.py)."""

urlpatterns: list = []
