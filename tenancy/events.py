"""The one shape of every append-only event table: who, when, from, to, what changed.

Each app's timeline (`ContractEvent`, `OrderEvent`, `ActEvent`, `InvoiceEvent`, `ReviewEvent`,
`DisputeEvent`) is a subclass of `Event` that adds the foreign key to its subject, named by
`SUBJECT`, and writes through the typed constructors here, never `objects.create` by hand:

- `Event.record(subject, kind=..., actor=..., via=...)` — any event;
- `Event.transition_of(subject, name=..., source=..., target=..., actor=...)` — a state change;
- `Event.change_of(subject, changes={field: (old, new)}, actor=...)` — an edit, each field's
  before and after in `data["changes"]`.

The rows are tamper-evident: `chain_seq` numbers every event of a tenant, across all event tables,
and `chain_hash` is SHA-256 over the previous link's hash and this row's content (`tenancy.chain`),
so an edited, deleted or inserted row breaks the chain at that point. A row is linked after its
transaction commits (`Event.save` queues it; `tenancy.chain`), which is why both fields start
empty. `CONTRACT_PATH` names the way from a table to its contract, for the audit export's filter.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .audit import actor_label, translated_actor_label
from .models import TenantOwned


class Event(TenantOwned):
    SUBJECT: ClassVar[str] = ""  # the name of the foreign key to the row whose timeline this is
    # the lookup from this table to the contract it belongs to ("order__contract"); empty: none
    CONTRACT_PATH: ClassVar[str] = ""

    kind = models.CharField(_("kind"), max_length=32)
    transition = models.CharField(_("transition"), max_length=40, blank=True)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    actor_label = models.CharField(_("who"), max_length=200, help_text=_("Who acted, kept even if the user is deleted"))
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    # the tenant's hash chain (tenancy.chain); empty until the row is linked after commit
    chain_seq = models.BigIntegerField(null=True, blank=True, editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        abstract = True
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["tenant", "chain_seq"], name="%(class)s_chain"),
            models.Index(fields=["tenant", "id"], condition=models.Q(chain_seq__isnull=True),
                         name="%(class)s_unlinked"),
        ]

    def __str__(self) -> str:
        return f"{getattr(self, f'{self.SUBJECT}_id', '')} {self.kind} {self.from_state}→{self.to_state}"

    @property
    def actor_display(self) -> str:
        """Who acted, in the reader's language: `actor_label` is written once in the language active
        then (and hashed into the chain), so "System" and "(portal)" are translated here for display."""
        return translated_actor_label(self.actor_label, system=self.actor_id is None)

    @property
    def note_display(self) -> str:
        """The note; the system's own notes (no actor: "The end date has passed.") are written in the
        site's language when they happen and shown in the reader's."""
        if self.actor_id is None and self.note:
            return gettext(self.note)
        return self.note

    def save(self, *args, **kwargs):
        """Append; the tenant's chain links the row once its transaction commits (tenancy.chain).

        Saving a row again never writes its link: only the linker does, so a stale copy in memory
        cannot unlink it."""
        from .chain import link_after_commit

        adding = self._state.adding
        if not adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [field.name for field in self._meta.concrete_fields
                                       if not field.primary_key and field.name not in ("chain_seq", "chain_hash")]
        super().save(*args, **kwargs)
        if adding and self.chain_seq is None:
            link_after_commit(self.tenant_id, using=self._state.db)

    # --- typed constructors ----------------------------------------------------------------

    @classmethod
    def record(cls, subject, *, kind: str, actor=None, via: str = "", **fields: Any):
        """One event on `subject`'s timeline, in the subject's tenant."""
        return cls.objects.create(tenant_id=subject.tenant_id, **{cls.SUBJECT: subject}, kind=kind, actor=actor,
                                  actor_label=actor_label(actor, via), **fields)

    @classmethod
    def transition_of(cls, subject, *, name: str, source: str, target: str, actor=None, via: str = "",
                      note: str = "", **fields: Any):
        """A state change: the transition's name, from and to."""
        return cls.record(subject, kind="transition", actor=actor, via=via, transition=name,
                          from_state=source, to_state=target, note=note, **fields)

    @classmethod
    def change_of(cls, subject, *, changes: dict[str, tuple[Any, Any]], kind: str = "updated", actor=None,
                  via: str = "", note: str = "", **fields: Any):
        """An edit: each changed field with its value before and after, as strings."""
        data = dict(fields.pop("data", {}) or {})
        data["changes"] = {name: [_plain(old), _plain(new)] for name, (old, new) in changes.items()}
        return cls.record(subject, kind=kind, actor=actor, via=via, note=note, data=data, **fields)


def _plain(value) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, models.Model):
        return str(value)
    return str(value)


def event_models() -> list[type[Event]]:
    """Every concrete event table of the project, in a fixed order (app label, model name)."""
    from django.apps import apps

    found = [model for model in apps.get_models() if issubclass(model, Event)]
    return sorted(found, key=lambda model: (model._meta.app_label, model._meta.model_name))

