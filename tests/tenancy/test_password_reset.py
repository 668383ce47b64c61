"""Password reset for everyone, from the login page: the mail in the person's language, its link
followed end to end, a used or broken link explained; and the signed-in password change."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tenancy.models import UserProfile

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "amber-lighthouse-73-kettles"


def link_in(message) -> str:
    url = re.search(r"https?://\S+/accounts/password/reset/\S+/\S+/", message.body).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_login_page_links_to_the_reset_and_its_pages_render(client, language):
    browser = Client(headers={"accept-language": language})
    login = browser.get(reverse("login")).content.decode()
    assert reverse("password_reset") in login
    assert ("Forgot your password?" if language == "en" else "Забыли пароль?") in login
    form = browser.get(reverse("password_reset"))
    assert form.status_code == 200 and f'lang="{language}"' in form.content.decode()
    assert browser.get(reverse("password_reset_done")).status_code == 200
    assert browser.get(reverse("password_reset_complete")).status_code == 200


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_reset_link_from_the_mail_sets_a_new_password_once(world_a, language, password, settings):
    user = world_a.engineer
    browser = Client(headers={"accept-language": language})
    sent = browser.post(reverse("password_reset"), {"email": user.email.upper()})
    assert sent.status_code == 302 and sent["Location"] == reverse("password_reset_done")
    [message] = mail.outbox
    assert message.to == [user.email]
    if language == "en":
        assert message.subject == "Reset your password for Service contracts"
        assert "Someone asked to reset the password of the account" in message.body
    else:
        assert message.subject == "Сброс пароля в «Сервисных договорах»"
        assert "Поступил запрос на сброс пароля" in message.body
    path = link_in(message)
    assert settings.SITE_URL + path in message.body
    assert path in message.alternatives[0][0]

    page = browser.get(path, follow=True)  # Django hides the token behind a redirect
    assert page.status_code == 200 and page.context["validlink"]
    form_url = page.redirect_chain[-1][0]
    weak = browser.post(form_url, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200 and weak.context["form"].errors
    done = browser.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    assert Client().login(username=user.username, password=NEW_PASSWORD)
    assert not Client().login(username=user.username, password=password)

    again = Client(headers={"accept-language": language}).get(path, follow=True)
    assert again.status_code == 200 and not again.context["validlink"]
    text = again.content.decode()
    assert ("This link no longer works" if language == "en" else "Эта ссылка больше не действует") in text
    assert reverse("password_reset") in text


def test_the_mail_is_in_the_persons_own_language_whatever_the_page(world_a):
    UserProfile.objects.create(user=world_a.accountant, language="ru")
    Client(headers={"accept-language": "en"}).post(reverse("password_reset"), {"email": world_a.accountant.email})
    assert mail.outbox[0].subject == "Сброс пароля в «Сервисных договорах»"


def test_an_unknown_address_sends_nothing_and_says_the_same(world_a):
    response = Client().post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_made_up_link_says_it_no_longer_works(world_a):
    page = Client().get(reverse("password_reset_confirm", args=["MQ", "set-password"]))
    assert page.status_code == 200 and not page.context["validlink"]
    page = Client().get(reverse("password_reset_confirm", args=["zz", "abc-def"]))
    assert page.status_code == 200 and not page.context["validlink"]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_signed_in_person_changes_their_password(world_a, password, language):
    browser = Client(headers={"accept-language": language})
    browser.force_login(world_a.engineer)
    profile = browser.get(reverse("tenancy:profile")).content.decode()
    assert reverse("password_change") in profile
    assert browser.get(reverse("password_change")).status_code == 200
    wrong = browser.post(reverse("password_change"), {"old_password": "nope", "new_password1": NEW_PASSWORD,
                                                     "new_password2": NEW_PASSWORD})
    assert wrong.status_code == 200 and wrong.context["form"].errors["old_password"]
    done = browser.post(reverse("password_change"), {"old_password": password, "new_password1": NEW_PASSWORD,
                                                    "new_password2": NEW_PASSWORD}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("password_change_done")
    assert done.context["user"].is_authenticated  # still signed in
    assert Client().login(username=world_a.engineer.username, password=NEW_PASSWORD)


def test_the_password_change_needs_a_signed_in_person():
    response = Client().get(reverse("password_change"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_sign_in_throttling_still_holds_on_the_login_page(world_a, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 2
    browser = Client()
    for _ in range(2):
        browser.post(reverse("login"), {"username": world_a.engineer.username, "password": "wrong"})
    refused = browser.post(reverse("login"), {"username": world_a.engineer.username, "password": "wrong"})
    assert "Too many attempts" in str(refused.context["form"].non_field_errors())


def test_the_django_admins_password_change_still_works(world_a, password):
    world_a.admin.is_staff = True
    world_a.admin.save(update_fields=["is_staff"])
    browser = Client()
    browser.force_login(world_a.admin)
    assert browser.get(reverse("admin:password_change")).status_code == 200
    done = browser.post(reverse("admin:password_change"), {"old_password": password, "new_password1": NEW_PASSWORD,
                                                           "new_password2": NEW_PASSWORD}, follow=True)
    assert done.status_code == 200 and done.redirect_chain[-1][0] == reverse("admin:password_change_done")
    assert Client().login(username=world_a.admin.username, password=NEW_PASSWORD)


def test_one_address_gets_a_few_mails_at_most_and_one_client_a_clear_error(world_a, monkeypatch):
    from tenancy import password_forms

    browser = Client()
    for _ in range(5):
        assert browser.post(reverse("password_reset"), {"email": world_a.engineer.email}).status_code == 302
    assert len(mail.outbox) == password_forms.RESET_MAILS_PER_ADDRESS
    monkeypatch.setattr(password_forms, "RESET_REQUESTS_PER_CLIENT", 5)
    refused = browser.post(reverse("password_reset"), {"email": world_a.accountant.email})
    assert refused.status_code == 200 and refused.context["form"].non_field_errors()
    assert len(mail.outbox) == password_forms.RESET_MAILS_PER_ADDRESS
