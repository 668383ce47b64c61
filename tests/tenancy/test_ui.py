"""The shared UI pieces: one state badge coloured by meaning, money in the reader's language."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.template import Context, Template
from django.utils import translation
from django_fsm import FSMField

from tenancy.money import format_money
from tenancy.tones import STATE_TONES, TONES

# every model whose state a page shows as a badge, and the machine name its badge passes
STATE_MODELS = {
    "contracts.Contract": "contract",
    "contracts.Amendment": "amendment",
    "contracts.ObligationOccurrence": "occurrence",
    "orders.Order": "order",
    "confirmations.Act": "act",
    "confirmations.CorrectiveAction": "corrective_action",
    "billing.Invoice": "invoice",
    "reviews.Review": "review",
    "reviews.ActionItem": "action_item",
    "disputes.Dispute": "dispute",
    "webhooks.Delivery": "webhook_delivery",
    "mail.InboundMessage": "inbound_mail",
    "tenancy.OutboundMessage": "outbound_mail",
}


def _model(label):
    app_label, name = label.split(".")
    for config in apps.get_app_configs():
        if config.label == app_label or config.name.endswith(app_label):
            try:
                return config.get_model(name)
            except LookupError:
                continue
    raise LookupError(label)


def test_every_state_machine_is_listed():
    fsm_models = {f"{m._meta.app_label}.{m.__name__}" for m in apps.get_models()
                  if any(isinstance(f, FSMField) for f in m._meta.fields)}
    listed = {f"{_model(label)._meta.app_label}.{_model(label).__name__}" for label in STATE_MODELS}
    assert fsm_models <= listed, fsm_models - listed


@pytest.mark.parametrize(("label", "machine"), sorted(STATE_MODELS.items()))
def test_every_state_of_every_machine_has_a_tone(label, machine):
    states = {value for value, _ in _model(label)._meta.get_field("state").choices}
    assert states == set(STATE_TONES[machine]), (label, states ^ set(STATE_TONES[machine]))
    assert set(STATE_TONES[machine].values()) <= set(TONES)


def test_sent_and_signed_acts_wear_different_tones():
    template = Template('{% include "includes/state_badge.html" with machine="act" state=state label=state %}')
    sent = template.render(Context({"state": "sent"}))
    signed = template.render(Context({"state": "signed"}))
    assert "tone-info" in sent
    assert "tone-success" in signed


def test_every_tone_has_css_in_light_and_dark():
    from pathlib import Path

    from django.conf import settings
    css = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text()
    dark = css[css.index("@media (prefers-color-scheme: dark)"):]
    for tone in TONES:
        assert f".tone-{tone}" in css
        assert f"--tone-{tone}-bg:" in css.split("@media (prefers-color-scheme: dark)")[0]
        assert f"--tone-{tone}-bg:" in dark


@pytest.mark.parametrize(("language", "expected"), [
    ("ru", "96\u00a0000,00\u00a0₽"),
    ("en", "96,000.00\u00a0RUB"),
])
def test_money_is_grouped_and_separated_as_the_language_writes_it(language, expected):
    assert format_money(Decimal("96000"), "RUB", language=language) == expected


def test_money_filter_follows_the_active_language_and_russian_has_no_point():
    template = Template("{% load ui %}{{ value|money:'RUB' }}|{{ value|amount }}")
    with translation.override("ru"):
        text = template.render(Context({"value": Decimal("1220.5")}))
    assert text == "1\u00a0220,50\u00a0₽|1\u00a0220,50"
    assert "." not in text
    with translation.override("en"):
        assert template.render(Context({"value": Decimal("-1220.5")})) == "\u22121,220.50\u00a0RUB|\u22121,220.50"


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_tone_reads_at_4_5_to_1_or_better(scheme):
    import re
    from pathlib import Path

    from django.conf import settings
    css = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text()
    light, dark = css.split("@media (prefers-color-scheme: dark)", 1)
    block = light if scheme == "light" else dark
    values = dict(re.findall(r"--(tone-[a-z]+(?:-bg)?):\s*(#[0-9a-f]{6})", block))
    for tone in TONES:
        ratio = _contrast(values[f"tone-{tone}"], values[f"tone-{tone}-bg"])
        assert ratio >= 4.5, (scheme, tone, round(ratio, 2))
