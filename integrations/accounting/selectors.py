"""What the accounting export reads: the current tenant's invoices and credit notes issued in a period,
through billing's selectors, with everything the export touches loaded."""

from __future__ import annotations

import datetime as dt

from billing import selectors as billing_selectors
from billing.models import CLIENT_VISIBLE_STATES


def export_invoices(*, date_from: dt.date, date_to: dt.date):
    """Invoices issued (and still issued or paid) with an issue date in the period, both days included,
    with their lines, contract, provider, tenant and client; by issue date and number."""
    return (billing_selectors.with_lines(billing_selectors.invoice_list())
            .filter(state__in=CLIENT_VISIBLE_STATES, issue_date__gte=date_from, issue_date__lte=date_to)
            .select_related("contract__provider__tenant")
            .order_by("issue_date", "number", "id"))


def export_credit_notes(*, date_from: dt.date, date_to: dt.date):
    """Credit notes issued in the period, with their invoice, its contract, provider, tenant and client."""
    return (billing_selectors.credit_note_list()
            .filter(issue_date__gte=date_from, issue_date__lte=date_to)
            .select_related("invoice__client", "invoice__contract__provider__tenant")
            .order_by("issue_date", "number", "id"))
