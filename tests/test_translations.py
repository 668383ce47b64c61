"""Russian ships complete: every message of the catalogue is translated and compiled."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "ru" / "LC_MESSAGES"


def po_msgids() -> list[str]:
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    assert "#, fuzzy" not in text, "fuzzy translations are guesses: translate them and drop the flag"
    # each entry: msgid "..." possibly continued on following "..." lines; the header has msgid ""
    entries = re.findall(r'^msgid ((?:".*"\n)+)', text, flags=re.M)
    ids = ["".join(re.findall(r'"(.*)"', e)) for e in entries]
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return [re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), i) for i in ids if i]


def test_every_message_is_translated_and_compiled():
    ids = po_msgids()
    with open(LOCALE / "django.mo", "rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog
    # a message with a context (pgettext) is compiled under "context\x04msgid"
    compiled = {(k[0] if isinstance(k, tuple) else k).split("\x04")[-1] for k, v in catalog.items() if v}
    missing = [i for i in ids if i not in compiled]
    assert not missing, f"{len(missing)} messages untranslated or not compiled (make messages): {missing[:5]}"


def test_russian_plural_forms_are_russian():
    with translation.override("ru"):
        assert translation.ngettext("%(counter)s contract", "%(counter)s contracts", 1) == "%(counter)s договор"
        assert translation.ngettext("%(counter)s contract", "%(counter)s contracts", 3) == "%(counter)s договора"
        assert translation.ngettext("%(counter)s contract", "%(counter)s contracts", 11) == "%(counter)s договоров"


@pytest.mark.django_db
def test_the_login_page_speaks_russian():
    page = Client(headers={"accept-language": "ru"}).get("/accounts/login/").content.decode()
    assert 'lang="ru"' in page
    assert "Войти" in page
