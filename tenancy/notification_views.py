"""The user's in-app notifications (the bell): the list, opening one, marking them read."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .decorators import member_required
from .models import Notification
from .services import notifications_mark_read

PER_PAGE = 30


def _mine(request):
    return Notification.objects.filter(user=request.user).order_by("-created_at", "-id")


@member_required
def notification_list(request):
    notifications = _mine(request)
    if request.GET.get("unread"):
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
    # a plain int for the plural: Russian's plural formula cannot take the bell's lazy count
    unread = _mine(request).filter(read_at__isnull=True).count()
    return render(request, "tenancy/notifications.html",
                  {"page": page, "unread": unread, "only_unread": bool(request.GET.get("unread"))})


@member_required
@require_POST
def notification_open(request, pk: int):
    """Mark one notification read and go where it points (a page of this site only)."""
    try:
        notification = _mine(request).get(pk=pk)
    except Notification.DoesNotExist as exc:
        raise Http404 from exc
    notifications_mark_read(user=request.user, notification_ids=[notification.pk])
    if notification.url and url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()}):
        return redirect(notification.url)
    return redirect("notifications:list")


@member_required
@require_POST
def notification_read_all(request):
    count = notifications_mark_read(user=request.user)
    messages.success(request, _("%(count)d notifications marked read.") % {"count": count})
    return redirect("notifications:list")
