"""Pages of integrations.mail (mounted at the site root by config/urls.py)."""

urlpatterns: list = []
