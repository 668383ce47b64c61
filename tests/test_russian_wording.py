"""Russian pages say things as Russian writes them: translated system words, gendered states, verbs on
buttons, lower-case month names, translated admin sections."""

import datetime as dt

from django.apps import apps
from django.utils import translation

from billing.models import Invoice, InvoiceState
from confirmations.services.acts import _month_label
from orders.models import OrderEvent
from reviews.models import ReviewState
from tenancy.audit import translated_actor_label


def test_system_and_portal_are_translated_whatever_language_wrote_them():
    with translation.override("ru"):
        assert translated_actor_label("System", system=True) == "Система"
        assert translated_actor_label("Anna Orlova (portal)") == "Anna Orlova (портал)"
        assert translated_actor_label("Система", system=True) == "Система"
    with translation.override("en"):
        assert translated_actor_label("Система", system=True) == "System"


def test_an_order_is_created_feminine_and_a_review_cancelled_masculine():
    with translation.override("ru"):
        assert str(dict(OrderEvent.Kind.choices)["created"]) == "Создана"
        assert str(dict(ReviewState.choices)["cancelled"]) == "Отменён"


def test_the_void_button_is_a_verb_and_the_void_state_a_participle():
    void = next(t for t in Invoice._meta.get_field("state").get_all_transitions(Invoice) if t.name == "void")
    with translation.override("ru"):
        assert str(void.custom["label"]) == "Аннулировать"
        assert str(dict(InvoiceState.choices)["void"]) == "Аннулирован"


def test_a_month_after_za_is_written_in_lower_case():
    day = dt.date(2031, 12, 1)
    assert _month_label(day, "ru") == "декабрь 2031"
    assert _month_label(day, "en") == "December 2031"


def test_every_app_has_a_translated_admin_section():
    ours = [config for config in apps.get_app_configs() if not config.name.startswith("django")
            and "site-packages" not in str(config.path)]
    with translation.override("ru"):
        untranslated = [config.name for config in ours
                        if not any("\u0400" <= ch <= "\u04ff" for ch in str(config.verbose_name))
                        and str(config.verbose_name) not in ("SLA", "API")]
    assert untranslated == []


def test_no_counted_text_says_s_in_brackets():
    """A count is said with ngettext / blocktranslate count, never "rating(s)"; the one exception is
    the review's consent text, a signed statement whose words the signatures keep."""
    import re
    from pathlib import Path

    from django.conf import settings

    po = (Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES" / "django.po").read_text()
    msgids = re.findall(r'^msgid ((?:".*"\n)+)', po, re.M)
    texts = ["".join(re.findall(r'"(.*)"', block)) for block in msgids]
    bracketed = [text for text in texts if "(s)" in text and not text.startswith("I confirm, on behalf of")]
    assert bracketed == []


def test_a_system_note_written_in_english_reads_in_russian():
    from contracts.models import ContractEvent

    event = ContractEvent(note="The end date has passed.", actor_label="System")
    with translation.override("ru"):
        assert event.note_display == "Дата окончания прошла."
        assert event.actor_display == "Система"
