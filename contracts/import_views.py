"""Browser pages of the import of clients, contracts and contract roles (contracts.imports).

Upload → a preview (a dry run through the services, every bad row named) → confirm. Between the
two steps the file's parsed tables stay server-side in the user's session under a random token that
is bound to the user and the tenant, with the file's SHA-256; a confirm imports exactly those
tables, once, or nothing.
"""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tenancy.decorators import provider_page
from tenancy.errors import DomainError
from tenancy.roles import CONTRACT_MANAGERS

from . import imports

manager_page = provider_page(roles=CONTRACT_MANAGERS)
SESSION_KEY = "contract_imports"
KEEP = 3  # previews a user may keep open at once


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"), help_text=gettext_lazy("CSV or XLSX, at most 5 MB."))


def _help_context() -> dict:
    return {
        "kinds": [(kind, imports.KIND_LABELS[kind], imports.KINDS[kind]) for kind in imports.ORDER],
        "max_rows": imports.MAX_ROWS,
        "max_mb": imports.MAX_BYTES // (1024 * 1024),
    }


def _pending(request) -> dict:
    return request.session.get(SESSION_KEY, {})


def _store(request, *, tables, digest: str, filename: str) -> str:
    token = secrets.token_urlsafe(24)
    pending = {
        key: value for key, value in _pending(request).items()
        if value["tenant"] == request.tenant.pk
    }
    while len(pending) >= KEEP:
        pending.pop(next(iter(pending)))
    pending[token] = {"tenant": request.tenant.pk, "user": request.user.pk, "sha256": digest,
                      "filename": filename, "tables": tables}
    request.session[SESSION_KEY] = pending
    return token


def _load(request, token: str):
    """The stored preview of `token` if it was made by this user in this tenant; else None."""
    entry = _pending(request).get(token or "")
    if entry is None or entry["tenant"] != request.tenant.pk or entry["user"] != request.user.pk:
        return None
    return entry


def _forget(request, token: str) -> None:
    pending = _pending(request)
    pending.pop(token, None)
    request.session[SESSION_KEY] = pending


@manager_page
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            form.add_error("file", _("The file is larger than %(size)s MB; split it into several files.")
                           % {"size": imports.MAX_BYTES // (1024 * 1024)})
        else:
            data = upload.read()
            try:
                tables = imports.read_file(upload.name, data)
                result = imports.run_import(tables=tables, actor=request.user, dry_run=True)
            except imports.ImportFileError as error:
                form.add_error("file", str(error))
            except DomainError as error:
                form.add_error("file", str(error))
            else:
                token = _store(request, tables=tables, digest=imports.file_digest(data), filename=upload.name)
                return render(request, "contracts/import_preview.html",
                              {"result": result, "token": token, "filename": upload.name,
                               "sha256": imports.file_digest(data)})
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "contracts/import_upload.html", {"form": form, **_help_context()}, status=status)


@require_POST
@manager_page
def import_confirm(request):
    token = request.POST.get("token", "")
    entry = _load(request, token)
    if entry is None or request.POST.get("sha256") != entry["sha256"]:
        messages.error(request, _("This preview has expired or belongs to another session or organisation. "
                                  "Upload the file again."))
        return redirect("contracts:import")
    try:
        result = imports.run_import(tables=entry["tables"], actor=request.user, dry_run=False)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("contracts:import")
    if not result.ok:
        # the data changed since the preview (another user, another tab): nothing was saved
        return render(request, "contracts/import_preview.html",
                      {"result": result, "token": token, "filename": entry["filename"], "sha256": entry["sha256"],
                       "changed": True}, status=409)
    _forget(request, token)
    return render(request, "contracts/import_done.html", {
        "result": result, "filename": entry["filename"],
        "clients_created": result.count("clients", "create"), "clients_updated": result.count("clients", "update"),
        "contracts_created": result.count("contracts", "create"), "roles_assigned": result.count("roles", "assign"),
    })


@manager_page
def import_template_xlsx(request):
    response = HttpResponse(imports.template_xlsx(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="import-template.xlsx"'
    return response


@manager_page
def import_template_csv(request, kind: str):
    if kind not in imports.KINDS:
        raise Http404
    response = HttpResponse(imports.template_csv(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{kind}.csv"'
    return response
