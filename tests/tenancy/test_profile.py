"""Everyone's own profile: name, address, language and time zone. The language holds on every page
(and in e-mails) until switched, the switcher keeps the choice; the time zone, when set, is the one
pages show times in, and the footer says so."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tenancy.models import UserProfile
from tenancy.preferences import SESSION_KEY
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROFILE = reverse("tenancy:profile")


def browser(user, language="en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def save(client, **fields):
    data = {"first_name": "Ivan", "last_name": "Petrov", "email": "ivan@example.com", "language": "",
            "time_zone": "", **fields}
    return client.post(PROFILE, data)


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("role", ["admin", "engineer", "client_viewer"])
def test_everyone_opens_their_profile_from_the_user_menu(world_a, role, language):
    client = browser(getattr(world_a, role), language)
    home = client.get("/", follow=True).content.decode()
    assert PROFILE in home
    page = client.get(PROFILE)
    assert page.status_code == 200 and f'lang="{language}"' in page.content.decode()
    assert ("Your profile" if language == "en" else "Ваш профиль") in page.content.decode()
    assert "Europe/Moscow" in page.content.decode()  # the organisation's zone, named in the empty choice


def test_a_person_with_no_organisation_has_a_profile_too(db):
    lonely = UserFactory()
    assert browser(lonely).get(PROFILE).status_code == 200


def test_the_profile_needs_a_signed_in_person(client):
    response = client.get(PROFILE)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_saving_the_name_address_and_preferences(world_a):
    client = browser(world_a.engineer)
    response = save(client, language="ru", time_zone="Asia/Vladivostok")
    assert response.status_code == 302
    user = world_a.engineer
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.email) == ("Ivan", "Petrov", "ivan@example.com")
    profile = UserProfile.objects.get(user=user)
    assert (profile.language, profile.time_zone) == ("ru", "Asia/Vladivostok")


def test_the_language_of_the_profile_holds_whatever_the_browser_asks(world_a):
    client = browser(world_a.engineer, "en")
    save(client, language="ru")
    page = client.get(PROFILE).content.decode()
    assert 'lang="ru"' in page and "Профиль сохранён." in page
    # at the next sign-in, from a browser that asks for English
    fresh = Client(headers={"accept-language": "en"})
    fresh.post(reverse("login"), {"username": world_a.engineer.username, "password": "correct-horse-battery"})
    assert 'lang="ru"' in fresh.get("/").content.decode()
    # an empty choice follows the browser again
    save(client, language="")
    assert 'lang="en"' in client.get(PROFILE).content.decode()


def test_the_language_switcher_keeps_the_choice_in_the_profile(world_a):
    client = browser(world_a.engineer, "en")
    response = client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    assert response.status_code == 302
    assert UserProfile.objects.get(user=world_a.engineer).language == "ru"
    assert 'lang="ru"' in client.get("/").content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert 'lang="en"' in client.get("/").content.decode()
    assert UserProfile.objects.get(user=world_a.engineer).language == "en"


def test_the_switcher_still_works_for_a_visitor(client):
    response = client.post(reverse("set_language"), {"language": "ru", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert 'lang="ru"' in client.get(reverse("login")).content.decode()
    assert not UserProfile.objects.exists()


def test_the_own_time_zone_is_the_one_pages_show_times_in(world_a):
    client = browser(world_a.admin)
    assert "Times are shown in Europe/Moscow." in client.get("/api-keys/").content.decode()
    save(client, time_zone="America/New_York", email=world_a.admin.email)
    page = client.get("/api-keys/")
    assert "Times are shown in America/New_York." in page.content.decode()
    assert page.context["display_time_zone"] == "America/New_York"
    save(client, time_zone="", email=world_a.admin.email)
    assert "Times are shown in Europe/Moscow." in client.get("/api-keys/").content.decode()


def test_a_time_shown_on_a_page_is_in_the_chosen_zone(world_a):
    """The members page shows last logins: the same instant, in the person's zone."""
    client = browser(world_a.admin)
    world_a.engineer.last_login = world_a.engineer.date_joined.replace(hour=12, minute=0, second=0, microsecond=0)
    world_a.engineer.save(update_fields=["last_login"])
    save(client, time_zone="Asia/Tokyo", email=world_a.admin.email)  # UTC+9: 12:00 UTC is 21:00
    assert "21:00" in client.get(reverse("tenancy:members")).content.decode()
    save(client, time_zone="UTC", email=world_a.admin.email)
    assert "12:00" in client.get(reverse("tenancy:members")).content.decode()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_bad_input_is_a_form_error_naming_the_field(world_a, world_b, language):
    client = browser(world_a.engineer, language)
    zone = save(client, time_zone="Mars/Olympus")
    assert zone.status_code == 400 and zone.context["form"].errors["time_zone"]
    taken = save(client, email=world_b.engineer.email)
    assert taken.status_code == 400 and taken.context["form"].errors["email"]
    lang = save(client, language="xx")
    assert lang.status_code == 400 and lang.context["form"].errors["language"]
    world_a.engineer.refresh_from_db()
    assert world_a.engineer.first_name != "Ivan"


def test_preferences_ride_in_the_session_not_a_query_per_page(world_a):
    UserProfile.objects.create(user=world_a.engineer, language="ru")
    client = browser(world_a.engineer)
    assert client.session[SESSION_KEY] == {"language": "ru", "time_zone": ""}
