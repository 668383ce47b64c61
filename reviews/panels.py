"""The figures of contracts' dashboard and client portal (`reviews.dashboard`), registered with
`contracts.panels` in `ReviewsConfig.ready()`: the dashboard reads every app's tables, so it lives in
the app on top of them, and contracts' pages show it without importing it."""

from __future__ import annotations

from billing.services import BILLING_READERS

from . import dashboard


def home_figures(request, *, now) -> dict:
    """The provider user's dashboard; the invoice figures only for the roles that read billing."""
    role = request.membership.role
    return {"dash": dashboard.provider_dashboard(user=request.user, role=role, time_zone=request.tenant.time_zone,
                                                 now=now, billing=role in BILLING_READERS)}


def portal_figures(request, *, client, now) -> dict:
    """The client's live compliance, acts waiting for a signature, invoices and review reports."""
    return {"dash": dashboard.client_dashboard(client_id=client.pk, time_zone=request.tenant.time_zone, now=now)}


def register() -> None:
    from contracts.panels import register_panel

    register_panel("home", home_figures)
    register_panel("portal", portal_figures)
