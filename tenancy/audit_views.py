"""The audit page (/audit/): export the audit trail of a period and check the hash chain.

For the provider's administrators and accountants (`tenancy.audit_export.AUDIT_READERS`). The form
is a GET: the export downloads as a stream, a form with errors is shown again with them.
"""

from __future__ import annotations

from django import forms
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import audit_export
from .chain import chain_verify
from .decorators import provider_page
from .forms import DateInput
from .widgets import fast_selects


class AuditExportForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=[("csv", "CSV"), ("jsonl", _("JSON Lines"))],
                               initial="csv", required=False)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        today = tenant.today()
        fields = {
            "from": forms.DateField(label=_("From"), widget=DateInput(), initial=today.replace(day=1)),
            "to": forms.DateField(label=_("To"), widget=DateInput(), initial=today,
                                  help_text=_("Both days included, in the organisation's time zone; two years at most.")),
            "contract": forms.TypedChoiceField(
                label=_("Contract"), required=False, coerce=int, empty_value=None,
                choices=[("", _("Every contract"))] + [
                    (pk, f"{number} · {title}")
                    for pk, number, title in audit_export.contracts().order_by("number").values_list("pk", "number", "title")
                ],
                help_text=_("With a contract: its own events and those of its orders, acts, invoices, reviews and disputes."),
            ),
        }
        self.fields = {**fields, "format": self.fields["format"]}
        fast_selects(self)  # every contract of the tenant (tenancy.widgets)

    def clean(self):
        cleaned = super().clean()
        for field, message in audit_export.period_errors(cleaned.get("from"), cleaned.get("to")).items():
            if field not in self.errors:
                self.add_error(field, message)
        return cleaned

    def query(self) -> audit_export.ExportQuery:
        data = self.cleaned_data
        return audit_export.ExportQuery(date_from=data["from"], date_to=data["to"], contract_id=data["contract"],
                                        fmt=data["format"] or "csv")


def _page(request, form, *, status=200):
    report = chain_verify(request.tenant.pk) if request.GET.get("verify") else None
    return render(request, "tenancy/audit.html", {"form": form, "report": report}, status=status)


@provider_page(roles=audit_export.AUDIT_READERS)
def audit(request):
    return _page(request, AuditExportForm(tenant=request.tenant))


@provider_page(roles=audit_export.AUDIT_READERS)
def audit_export_view(request):
    form = AuditExportForm(request.GET, tenant=request.tenant)
    if not form.is_valid():
        return _page(request, form, status=400)
    query = form.query()
    response = StreamingHttpResponse(audit_export.stream(request.tenant, query, language=get_language()),
                                     content_type=audit_export.CONTENT_TYPES[query.fmt])
    response["Content-Disposition"] = f'attachment; filename="{audit_export.filename(request.tenant, query)}"'
    return response
