"""The bell: how many unread in-app notifications the user has in the current tenant.

Lazy, so a page that does not show the bell (or an anonymous one) costs no query.
"""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject


def _unread_count(request) -> int:
    from .models import Notification

    return Notification.objects.filter(user=request.user, read_at__isnull=True).count()


def notifications(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated or getattr(request, "tenant", None) is None:
        return {"unread_notifications": 0}
    return {"unread_notifications": SimpleLazyObject(lambda: _unread_count(request))}
