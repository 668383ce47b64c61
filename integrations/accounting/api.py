"""API of integrations.accounting: viewsets registered on the one router (config/api_urls.py)."""


def register(router) -> None:
    """Register this app's viewsets on the API router."""
