"""Who hears about a warned or breached clock, in the app (the bell) and by email."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from contracts.models import ContractRole
from tenancy.effects import on_commit_task
from tenancy.mail import mail_queue
from tenancy.models import Notification

from .models import SLAClock


def queue_clock_notifications(*, warned, breached, using: str | None = None) -> None:
    """After commit (of the transaction on the `using` alias: the sweep's), one Celery message that
    fans out to a task per tenant.

    `warned` and `breached` are [(clock_id, tenant_id), ...].
    """
    from .tasks import fan_out_notifications

    by_tenant: dict[int, dict[str, list[int]]] = defaultdict(lambda: {"warned": [], "breached": []})
    for clock_id, tenant_id in warned:
        by_tenant[tenant_id]["warned"].append(clock_id)
    for clock_id, tenant_id in breached:
        by_tenant[tenant_id]["breached"].append(clock_id)
    batches = {str(tenant_id): ids for tenant_id, ids in by_tenant.items()}
    on_commit_task(fan_out_notifications, batches, using=using)


def _recipients(clock: SLAClock, roles: tuple[str, ...]):
    users = {r.user for r in ContractRole.objects.filter(contract_id=clock.order.contract_id, role__in=roles)
             .select_related("user")}
    if clock.order.assignee_id:
        users.add(clock.order.assignee)
    return users


def notify_clocks(*, warned: list[int], breached: list[int]) -> int:
    """Create the notifications (once per user and event) and queue the e-mails. Current tenant."""
    sent = 0
    clocks = SLAClock.objects.select_related("order", "order__assignee", "order__contract").filter(
        pk__in=[*warned, *breached]
    )
    for clock in clocks:
        is_breach = clock.pk in breached
        roles = ("account_manager", "coordinator") if is_breach else ("account_manager",)
        order = clock.order
        with translation.override(settings.LANGUAGE_CODE):
            if is_breach:
                title = _("SLA breached: %(metric)s of %(number)s") % {"metric": clock.get_metric_display(), "number": order.number}
            else:
                title = _("SLA warning: %(metric)s of %(number)s is due soon") % {"metric": clock.get_metric_display(), "number": order.number}
            body = _("%(title)s — %(order)s, due %(due)s.") % {"title": title, "order": order.title,
                                                              "due": (clock.due_at or clock.breached_at).isoformat()}
        for user in _recipients(clock, roles):
            try:
                with transaction.atomic():
                    Notification.objects.create(
                        user=user, kind="sla_breach" if is_breach else "sla_warning", title=title, body=body,
                        url=f"/orders/{order.pk}/", dedupe_key=f"clock:{clock.pk}:{'breach' if is_breach else 'warn'}",
                    )
            except IntegrityError:
                continue  # already told: the task ran twice
            # the e-mail is written in the recipient's language with the due time in the tenant's zone;
            # a reply to it becomes a comment on the order (integrations.mail)
            mail_queue(template="mail/sla_clock", user=user, url=f"/orders/{order.pk}/", thread=f"order:{order.pk}",
                       context={"breached": is_breach, "metric": clock.metric, "number": order.number,
                                "order_title": order.title, "due_at": clock.due_at or clock.breached_at})
            sent += 1
    return sent
