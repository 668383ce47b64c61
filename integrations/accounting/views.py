"""The accounting export page (/accounting/export/), also offered on the billing desk.

For the provider's administrators and accountants (`ACCOUNTING_EXPORTERS`). The form is a GET:
with a period and a format it downloads the file; with errors it is shown again with them (400).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from tenancy.decorators import provider_page

from . import export
from .forms import AccountingExportForm
from .roles import ACCOUNTING_EXPORTERS


@provider_page(roles=ACCOUNTING_EXPORTERS)
def accounting_export(request):
    if not request.GET:
        return render(request, "accounting/export.html", {"form": AccountingExportForm(tenant=request.tenant)})
    form = AccountingExportForm(request.GET, tenant=request.tenant)
    if not form.is_valid():
        return render(request, "accounting/export.html", {"form": form}, status=400)
    fmt, period = form.cleaned_data["format"], form.period()
    data = export.export_data(tenant=request.tenant, period=period)
    response = HttpResponse(export.render(data, fmt, sender=request.tenant.slug), content_type=export.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{export.filename(request.tenant, period, fmt)}"'
    return response
