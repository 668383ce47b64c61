"""The portal's signing screen: stars for ratings (radios, "n of 5"), one method at a time with its
own field, "Send code" that answers inline over htmx (or back to the page without JS), errors next
to their field; the public verification page in colour, with times in the tenant's zone and the
viewer's; the act page's hashes wrap and its states have their own colours. In en and ru."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from confirmations import services
from confirmations.models import ActState

from .support import one_byte_changed, read, reload, sent_act, sign

pytestmark = pytest.mark.django_db

TEXTS = {
    "en": {"of5": "3 of 5", "send": "Send code", "sent": "Code sent to {email}, valid 10 minutes.",
           "not_pdf": "This file is not a PDF", "not_ours": "This PDF was not sealed by us.", "genuine": "Genuine",
           "altered": "Altered", "rating": "4 of 5", "throttled": "Too many codes were requested"},
    "ru": {"of5": "3 из 5", "send": "Отправить код", "sent": "Код отправлен на {email}, действует 10 минут.",
           "not_pdf": "Этот файл не является PDF", "not_ours": "Этот PDF не заверен нашей печатью.", "genuine": None,
           "altered": None, "rating": "4 из 5", "throttled": None},
}


def in_language(client, language: str) -> None:
    client.cookies["django_language"] = language


@pytest.fixture
def act(world_a, django_capture_on_commit_callbacks):
    return sent_act(world_a, django_capture_on_commit_callbacks)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_sign_form_has_stars_one_field_per_method_and_a_send_code_button(client, world_a, act, language):
    in_language(client, language)
    client.force_login(world_a.client_signatory)
    page = client.get(reverse("confirmations:portal-act-detail", args=[act.pk]), HTTP_ACCEPT_LANGUAGE=language)
    html = page.content.decode()
    assert page.status_code == 200
    assert '<select name="rating"' not in html  # no dropdown
    stars = re.findall(r'<input type="radio" name="rating" value="(\d)"', html)
    assert stars == ["1", "2", "3", "4", "5"]
    assert TEXTS[language]["of5"] in html  # each star's label, translated
    assert html.count('name="method"') == 2 and 'value="password"' in html and 'value="email_code"' in html
    # each method's field in its own panel, which the stylesheet shows only for the chosen method
    assert re.search(r'class="method-panel method-password".*?name="password"', html, re.S)
    assert re.search(r'class="method-panel method-email_code".*?name="code".*?data-testid="send-code"', html, re.S)
    send = re.search(r'<button[^>]*data-testid="send-code"[^>]*>', html, re.S).group(0)
    code_url = reverse("confirmations:portal-act-code", args=[act.pk])
    assert f'hx-post="{code_url}"' in send and f'formaction="{code_url}"' in send
    assert TEXTS[language]["send"] in html
    assert html.index('data-testid="send-code"') < html.index('type="submit" class="btn btn-primary"')


@pytest.mark.parametrize("language", ["en", "ru"])
def test_send_code_over_htmx_answers_inline_and_then_the_rate_limit(client, world_a, act, language, settings):
    in_language(client, language)
    client.force_login(world_a.client_signatory)
    url = reverse("confirmations:portal-act-code", args=[act.pk])
    mail.outbox.clear()
    answers = [client.post(url, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE=language)
               for _ in range(services.CODES_PER_HOUR + 1)]
    first, last = answers[0], answers[-1]
    assert first.status_code == 200 and "<html" not in first.content.decode()  # a fragment, not a page
    assert TEXTS[language]["sent"].format(email=world_a.client_signatory.email) in first.content.decode()
    assert 'class="code-status code-status-error" role="alert"' in last.content.decode()
    if TEXTS[language]["throttled"]:
        assert TEXTS[language]["throttled"] in last.content.decode()


def test_send_code_without_js_comes_back_to_the_code_method(client, world_a, act):
    client.force_login(world_a.client_signatory)
    answer = client.post(reverse("confirmations:portal-act-code", args=[act.pk]), {"rating": "4"})
    assert answer.status_code == 302 and answer["Location"].endswith("?method=email_code#sign")
    page = client.get(answer["Location"].split("#")[0]).content.decode()
    assert re.search(r'<input type="radio" name="method" value="email_code"[^>]*checked', page)
    assert "Code sent to" in page


def test_signing_with_the_code_and_errors_next_to_the_code_field(client, world_a, act,
                                                                django_capture_on_commit_callbacks):
    client.force_login(world_a.client_signatory)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("confirmations:portal-act-code", args=[act.pk]), HTTP_HX_REQUEST="true")
    (message,) = mail.outbox
    code = next(word for word in message.body.replace(".", " ").split() if word.isdigit() and len(word) == 6)
    url = reverse("confirmations:portal-act-sign", args=[act.pk])
    form = {"rating": "4", "method": "email_code", "consent": "on"}
    wrong = client.post(url, {**form, "code": "000000" if code != "000000" else "111111"}).content.decode()
    assert re.search(r'class="field field-code has-error".*?The code is wrong', wrong, re.S)
    assert re.search(r'name="method" value="email_code"[^>]*checked', wrong)  # stays on the chosen method
    no_rating = client.post(url, {**form, "rating": "", "code": code}).content.decode()
    assert re.search(r'class="field field-stars has-error".*?Rate the work from 1 to 5', no_rating, re.S)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {**form, "code": code}).status_code == 302
    assert reload(world_a, act).state == ActState.SIGNED


def test_the_sign_and_code_urls_of_another_tenant_are_404(client, world_a, world_b, act):
    client.force_login(world_b.client_signatory)
    for name in ("portal-act-code", "portal-act-sign"):
        assert client.post(reverse(f"confirmations:{name}", args=[act.pk]), HTTP_HX_REQUEST="true").status_code == 404


# --- the verification page ------------------------------------------------------------------


def _upload(client, data: bytes, name: str = "act.pdf", language: str = "en"):
    return client.post(reverse("confirmations:verify"), {"file": SimpleUploadedFile(name, data, "text/plain")},
                       HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_verify_says_genuine_in_green_with_signer_time_rating(client, world_a, act, language,
                                                            django_capture_on_commit_callbacks):
    in_language(client, language)
    signed = sign(world_a, act, django_capture_on_commit_callbacks, rating=4)
    sealed = read(signed.sealed_pdf)
    html = _upload(client, sealed, language=language).content.decode()
    assert 'class="card verify-result verify-genuine"' in html
    assert signed.evidence.signer_name in html and TEXTS[language]["rating"] in html
    moment = re.search(r'<time datetime="([^"]+)" data-local-time[^>]*>([^<]+)</time>', html)
    assert moment and moment.group(1).startswith(signed.evidence.signed_at.date().isoformat()[:4])
    assert f"({world_a.tenant.time_zone})" in moment.group(2)  # the fallback names its zone
    altered = _upload(client, one_byte_changed(sealed), language=language)
    assert altered.status_code == 400 and 'verify-result verify-altered' in altered.content.decode()
    if TEXTS[language]["altered"]:
        assert TEXTS[language]["altered"] in altered.content.decode()


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(("name", "data"), [("notes.txt", b"hello, this is text"), ("empty.pdf", b""),
                                            ("garbage.pdf", bytes(range(256)) * 4)])
def test_verify_says_a_file_that_is_no_pdf_is_not_a_pdf(client, name, data, language):
    in_language(client, language)
    answer = _upload(client, data, name=name, language=language)
    html = answer.content.decode()
    assert answer.status_code == 400
    assert TEXTS[language]["not_pdf"] in html
    assert "verify-result" not in html


@pytest.mark.parametrize("language", ["en", "ru"])
def test_verify_says_a_pdf_we_did_not_seal_is_not_ours_in_red(client, world_a, act, language):
    in_language(client, language)
    answer = _upload(client, read(act.pdf), language=language)
    html = answer.content.decode()
    assert answer.status_code == 400 and "verify-result verify-unknown" in html
    assert TEXTS[language]["not_ours"] in html


# --- the act pages -------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_act_pages_wrap_hashes_and_colour_sent_and_signed_apart(client, world_a, world_b, act, language,
                                                     django_capture_on_commit_callbacks):
    in_language(client, language)
    client.force_login(world_a.account_manager)
    sent = client.get(reverse("confirmations:act-detail", args=[act.pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert sent.status_code == 200 and 'data-tone="info" data-state="sent"' in sent.content.decode()
    signed = sign(world_a, act, django_capture_on_commit_callbacks)
    page = client.get(reverse("confirmations:act-detail", args=[signed.pk]), HTTP_ACCEPT_LANGUAGE=language)
    html = page.content.decode()
    assert 'data-tone="success" data-state="signed"' in html and 'class="event-detail muted small hash"' in html
    client.force_login(world_b.account_manager)
    assert client.get(reverse("confirmations:act-detail", args=[signed.pk])).status_code == 404


def test_the_stylesheet_wraps_hashes_and_colours_the_verdicts():
    from django.conf import settings

    css = (settings.BASE_DIR / "static" / "css" / "app.css").read_text()
    block = css[css.index("/* signing"):]
    for rule in (".hash", "overflow-wrap: anywhere", ".verify-genuine", ".verify-altered"):
        assert rule in block
