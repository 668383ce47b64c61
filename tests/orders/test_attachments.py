"""Files on orders: a client attaches them when raising an order and later, provider staff may keep
theirs internal, only allow-listed, non-empty files within the size and count limits are kept (a bad
one saves nothing, not even bytes on disk), and a file goes out only through a download that checks
the tenant and the side, as an attachment under its original name."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders import services
from orders.models import Order, OrderAttachment, OrderEvent
from tests.contracts.api_support import active_contract, assert_error, count_queries
from tests.support import raise_order

from .api_support import ORDERS, other_client, session_as

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
CYRILLIC = "Акт сверки №5 (март).pdf"


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Uploaded files go to a directory of the test's own, never into var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def pdf(name: str = "invoice.pdf", content: bytes = PDF, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def png(name: str = "screenshot.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def attachments_of(world, order) -> list[OrderAttachment]:
    with world.context():
        return list(OrderAttachment.objects.filter(order=order).order_by("id"))


def attach(world, order, actor, upload=None, *, internal=False) -> OrderAttachment:
    with world.context(user=actor):
        return services.order_attach(order=order, actor=actor, upload=upload or pdf(), internal=internal)


def attached_events(world, order) -> list[OrderEvent]:
    with world.context():
        return list(OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.ATTACHED).order_by("id"))


def order_count(world) -> int:
    with world.context():
        return Order.objects.count()


def download_url(order, attachment, *, portal=False) -> str:
    name = "orders:portal-order-attachment" if portal else "orders:order-attachment"
    return reverse(name, args=[order.pk, attachment.pk])


def api_download_url(order, attachment) -> str:
    return f"{ORDERS}{order.pk}/attachments/{attachment.pk}/download/"


def raise_data(contract, **overrides) -> dict:
    data = {"contract": contract.pk, "kind": "incident", "title": "Mail server is down", "description": "",
            "expected_result": "", "priority": "high", "desired_deadline": ""}
    data.update(overrides)
    return data


BAD_UPLOADS = {
    "too big": lambda: pdf(content=PDF + b"x" * 2000),
    "forbidden extension": lambda: SimpleUploadedFile("setup.exe", b"MZ\x90\x00", content_type="application/octet-stream"),
    "html page": lambda: SimpleUploadedFile("page.html", b"<script>alert(1)</script>", content_type="text/html"),
    "svg image": lambda: SimpleUploadedFile("logo.svg", b"<svg onload=alert(1)>", content_type="image/svg+xml"),
    "html sent as a pdf": lambda: pdf(content=PDF, content_type="text/html"),
    "not really a pdf": lambda: pdf(content=b"<html><script>alert(1)</script></html>"),
    "no name but an extension": lambda: pdf(name=".pdf"),
    "empty": lambda: pdf(content=b""),
}


@pytest.fixture
def small_limit(settings):
    settings.ORDER_ATTACHMENT_MAX_BYTES = 1000


# --- the pages --------------------------------------------------------------------------------


def test_a_client_raises_an_order_with_files_and_both_sides_see_them(client, world_a, media):
    contract = active_contract(world_a)
    client.force_login(world_a.client_viewer)
    form = client.get(reverse("orders:portal-order-create")).content.decode()
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form and "multiple" in form

    response = client.post(reverse("orders:portal-order-create"),
                           raise_data(contract, attachments=[pdf(CYRILLIC), png()]))

    assert response.status_code == 302, response.context["form"].errors
    with world_a.context():
        order = Order.objects.get()
    first, second = attachments_of(world_a, order)
    assert (first.original_name, first.content_type, first.size, first.sha256) == (
        CYRILLIC, "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest())
    assert (second.original_name, second.content_type, second.internal) == ("screenshot.png", "image/png", False)
    assert first.uploaded_by == world_a.client_viewer
    # stored under the tenant and a random name, never the client's file name
    assert first.file.name.startswith(f"orders/{world_a.tenant.pk}/{order.pk}/")
    assert "сверки" not in first.file.name and "screenshot" not in second.file.name
    assert (media / first.file.name).read_bytes() == PDF
    assert len(stored_files(media)) == 2
    assert [e.client_visible for e in attached_events(world_a, order)] == [True, True]

    portal_page = client.get(response["Location"]).content.decode()
    assert CYRILLIC in portal_page and download_url(order, first, portal=True) in portal_page
    client.force_login(world_a.engineer)
    staff_page = client.get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    assert "screenshot.png" in staff_page and download_url(order, second) in staff_page


def test_the_engineer_registers_an_order_with_a_file(client, world_a):
    contract = active_contract(world_a)
    client.force_login(world_a.engineer)
    response = client.post(reverse("orders:order-create"), raise_data(contract, attachments=[pdf("call-notes.pdf")]))
    assert response.status_code == 302
    with world_a.context():
        order = Order.objects.get()
    [attachment] = attachments_of(world_a, order)
    assert (attachment.original_name, attachment.uploaded_by, attachment.internal) == (
        "call-notes.pdf", world_a.engineer, False)


@pytest.mark.usefixtures("small_limit")
@pytest.mark.parametrize("bad", sorted(BAD_UPLOADS))
def test_one_bad_file_when_raising_an_order_saves_neither_the_order_nor_any_file(client, world_a, media, bad):
    contract = active_contract(world_a)
    client.force_login(world_a.client_admin)
    response = client.post(reverse("orders:portal-order-create"),
                           raise_data(contract, attachments=[pdf("fine.pdf"), BAD_UPLOADS[bad]()]))
    assert response.status_code == 400
    assert response.context["form"].errors["attachments"]
    assert order_count(world_a) == 0
    assert stored_files(media) == []


def test_a_file_whose_row_fails_to_save_leaves_no_bytes_behind(client, world_a, media, monkeypatch):
    contract = active_contract(world_a)
    record = services._record

    def second_attachment_fails(order, *, kind, **kwargs):
        if kind == OrderEvent.Kind.ATTACHED and kwargs["data"]["name"] == "second.pdf":
            raise RuntimeError("the database went away")
        return record(order, kind=kind, **kwargs)

    monkeypatch.setattr(services, "_record", second_attachment_fails)
    with world_a.context(user=world_a.client_admin), pytest.raises(RuntimeError):
        services.order_create_with_attachments(actor=world_a.client_admin, contract=contract, title="x",
                                               attachments=[pdf("first.pdf"), pdf("second.pdf")])
    assert order_count(world_a) == 0
    assert stored_files(media) == []


def test_a_client_attaches_a_file_to_their_order_later_and_cannot_make_it_internal(client, world_a):
    order = raise_order(world_a, active_contract(world_a))
    client.force_login(world_a.client_admin)
    page = client.get(reverse("orders:portal-order-detail", args=[order.pk])).content.decode()
    assert reverse("orders:order-attach", args=[order.pk]) in page and 'name="attachment-internal"' not in page

    response = client.post(reverse("orders:order-attach", args=[order.pk]),
                           {"attachment-file": png("error.png"), "attachment-internal": "on"})

    assert response.status_code == 302
    assert response["Location"] == reverse("orders:portal-order-detail", args=[order.pk]) + "#attachments"
    [attachment] = attachments_of(world_a, order)
    assert (attachment.original_name, attachment.internal) == ("error.png", False)
    [event] = attached_events(world_a, order)
    assert event.client_visible and event.actor == world_a.client_admin and event.data["name"] == "error.png"


def test_an_internal_file_of_the_provider_is_hidden_from_the_client(client, world_a):
    order = raise_order(world_a, active_contract(world_a))
    client.force_login(world_a.engineer)
    response = client.post(reverse("orders:order-attach", args=[order.pk]),
                           {"attachment-file": pdf("cost-estimate.pdf"), "attachment-internal": "on"})
    assert response.status_code == 302
    [internal] = attachments_of(world_a, order)
    assert internal.internal
    staff_page = client.get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    assert "cost-estimate.pdf" in staff_page and "attachment-internal" in staff_page
    assert client.get(download_url(order, internal)).status_code == 200

    client.force_login(world_a.client_admin)
    portal_page = client.get(reverse("orders:portal-order-detail", args=[order.pk])).content.decode()
    assert "cost-estimate.pdf" not in portal_page  # neither in the files nor in the history
    assert client.get(download_url(order, internal, portal=True)).status_code == 404
    assert client.get(download_url(order, internal)).status_code == 404
    assert [e.client_visible for e in attached_events(world_a, order)] == [False]


@pytest.mark.usefixtures("small_limit")
@pytest.mark.parametrize("bad", sorted(BAD_UPLOADS))
def test_a_bad_file_is_a_form_error_on_the_file_and_nothing_is_kept(client, world_a, media, bad):
    order = raise_order(world_a, active_contract(world_a))
    client.force_login(world_a.client_admin)
    response = client.post(reverse("orders:order-attach", args=[order.pk]), {"attachment-file": BAD_UPLOADS[bad]()})
    assert response.status_code == 400
    assert response.context["attachment_form"].errors["file"]
    assert attachments_of(world_a, order) == [] and attached_events(world_a, order) == []
    assert stored_files(media) == []


def test_the_eleventh_file_of_an_order_is_refused(client, world_a, media):
    order = raise_order(world_a, active_contract(world_a))
    for number in range(services.MAX_ATTACHMENTS_PER_ORDER):
        attach(world_a, order, world_a.engineer, pdf(f"page-{number}.pdf"), internal=number % 2 == 0)
    client.force_login(world_a.client_admin)
    response = client.post(reverse("orders:order-attach", args=[order.pk]), {"attachment-file": pdf("one-more.pdf")})
    assert response.status_code == 400
    assert "at most 10 files" in response.context["attachment_form"].errors["file"][0]
    assert len(attachments_of(world_a, order)) == 10 and len(stored_files(media)) == 10


def test_raising_an_order_with_eleven_files_is_refused(client, world_a, media):
    contract = active_contract(world_a)
    client.force_login(world_a.client_admin)
    files = [pdf(f"page-{number}.pdf") for number in range(11)]
    response = client.post(reverse("orders:portal-order-create"), raise_data(contract, attachments=files))
    assert response.status_code == 400 and response.context["form"].errors["attachments"]
    assert order_count(world_a) == 0 and stored_files(media) == []


def test_the_download_is_an_attachment_under_its_original_name_and_never_sniffed(client, world_a):
    order = raise_order(world_a, active_contract(world_a))
    attachment = attach(world_a, order, world_a.client_admin, pdf(CYRILLIC))
    client.force_login(world_a.client_admin)

    response = client.get(download_url(order, attachment, portal=True))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(CYRILLIC, safe='')}" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Length"] == str(len(PDF))


@pytest.mark.parametrize(("name", "content", "declared", "served_as"), [
    ("screenshot.png", PNG, "image/png", "image/png"),
    ("server.log", b"<html><script>alert(1)</script>", "text/plain", "application/octet-stream"),
    ("export.csv", b"a,b\n1,2\n", "application/vnd.ms-excel", "application/octet-stream"),
])
def test_only_pdfs_and_images_keep_their_content_type_when_downloaded(client, world_a, name, content, declared,
                                                                      served_as):
    order = raise_order(world_a, active_contract(world_a))
    attachment = attach(world_a, order, world_a.engineer, SimpleUploadedFile(name, content, content_type=declared))
    client.force_login(world_a.engineer)
    response = client.get(download_url(order, attachment))
    assert response["Content-Type"] == served_as
    assert response["Content-Disposition"] == f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"


def test_files_of_another_tenants_order_are_a_404(client, world_a, world_b, media):
    theirs = raise_order(world_b, active_contract(world_b))
    their_file = attach(world_b, theirs, world_b.client_admin)
    for user in (world_a.engineer, world_a.client_admin):
        client.force_login(user)
        assert client.get(download_url(theirs, their_file)).status_code == 404
        assert client.get(download_url(theirs, their_file, portal=True)).status_code in (302, 404)
        response = client.post(reverse("orders:order-attach", args=[theirs.pk]), {"attachment-file": pdf()})
        assert response.status_code == 404
    client.force_login(world_a.client_admin)
    assert client.get(download_url(theirs, their_file, portal=True)).status_code == 404
    assert len(attachments_of(world_b, theirs)) == 1 and len(stored_files(media)) == 1


def test_a_client_user_gets_a_404_for_another_clients_files(client, world_a, media):
    _client_y, user_y, contract_y = other_client(world_a)
    theirs = raise_order(world_a, contract_y, actor=user_y)
    their_file = attach(world_a, theirs, user_y)
    client.force_login(world_a.client_admin)
    assert client.get(download_url(theirs, their_file, portal=True)).status_code == 404
    assert client.get(download_url(theirs, their_file)).status_code == 404
    assert client.post(reverse("orders:order-attach", args=[theirs.pk]), {"attachment-file": pdf()}).status_code == 404
    # nor does a file of their order open through one of mine
    mine = raise_order(world_a, active_contract(world_a))
    assert client.get(download_url(mine, their_file, portal=True)).status_code == 404
    assert len(stored_files(media)) == 1


def test_the_order_page_lists_files_in_a_constant_number_of_queries(client, world_a):
    order = raise_order(world_a, active_contract(world_a))
    client.force_login(world_a.engineer)
    url = reverse("orders:order-detail", args=[order.pk])
    attach(world_a, order, world_a.client_admin)
    client.get(url)  # warm up the session and the caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for uploader in (world_a.engineer, world_a.client_signatory, world_a.account_manager, world_a.client_viewer):
        attach(world_a, order, uploader)
    with CaptureQueriesContext(connection) as five:
        page = client.get(url).content.decode()
    assert page.count('data-attachment="') == 5
    assert len(five) == len(one)


# --- the API ----------------------------------------------------------------------------------


def test_a_client_raises_an_order_with_files_through_the_api(world_a, media):
    contract = active_contract(world_a)
    response = session_as(world_a.client_admin).post(
        ORDERS, {"contract": contract.pk, "title": "VPN drops", "attachments": [pdf(CYRILLIC), png()]},
        format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert [(a["name"], a["content_type"], a["size"]) for a in body["attachments"]] == [
        (CYRILLIC, "application/pdf", len(PDF)), ("screenshot.png", "image/png", len(PNG))]
    assert body["attachments"][0]["download_url"].endswith(
        f"/api/v1/orders/{body['id']}/attachments/{body['attachments'][0]['id']}/download/")
    assert len(stored_files(media)) == 2


@pytest.mark.usefixtures("small_limit")
def test_a_bad_file_when_raising_an_order_through_the_api_saves_nothing(world_a, media):
    contract = active_contract(world_a)
    response = session_as(world_a.client_admin).post(
        ORDERS, {"contract": contract.pk, "title": "x", "attachments": [pdf(), BAD_UPLOADS["too big"]()]},
        format="multipart")
    assert_error(response, 400, code="file_too_large", field="attachments")
    assert order_count(world_a) == 0 and stored_files(media) == []


def test_provider_staff_attach_an_internal_file_that_the_client_never_sees(world_a, api_as):
    order = raise_order(world_a, active_contract(world_a))
    visible = attach(world_a, order, world_a.client_admin, png())
    staff = api_as(world_a, user=world_a.engineer)

    response = staff.post(f"{ORDERS}{order.pk}/attachments/", {"file": pdf("margin.pdf"), "internal": "true"},
                          format="multipart")

    assert response.status_code == 201, response.content
    internal = response.json()
    assert (internal["name"], internal["internal"], internal["uploaded_by"]) == ("margin.pdf", True, world_a.engineer.pk)
    assert internal["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert [a["name"] for a in staff.get(f"{ORDERS}{order.pk}/attachments/").json()["results"]] == [
        "screenshot.png", "margin.pdf"]
    assert len(staff.get(f"{ORDERS}{order.pk}/").json()["attachments"]) == 2

    client = session_as(world_a.client_admin)
    assert [a["id"] for a in client.get(f"{ORDERS}{order.pk}/attachments/").json()["results"]] == [visible.pk]
    assert [a["id"] for a in client.get(f"{ORDERS}{order.pk}/").json()["attachments"]] == [visible.pk]
    assert [a["id"] for a in client.get(ORDERS).json()["results"][0]["attachments"]] == [visible.pk]
    assert_error(client.get(f"{ORDERS}{order.pk}/attachments/{internal['id']}/download/"), 404, code="not_found")
    assert "margin.pdf" not in str(client.get(f"{ORDERS}{order.pk}/events/").json())


def test_a_client_user_attaches_through_the_api_but_never_an_internal_file(world_a):
    order = raise_order(world_a, active_contract(world_a))
    response = session_as(world_a.client_admin).post(
        f"{ORDERS}{order.pk}/attachments/", {"file": pdf(), "internal": "true"}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["internal"] is False
    assert attachments_of(world_a, order)[0].internal is False


@pytest.mark.usefixtures("small_limit")
@pytest.mark.parametrize("bad", sorted(BAD_UPLOADS))
def test_a_bad_file_through_the_api_is_a_400_naming_the_file_and_nothing_is_kept(world_a, media, bad):
    order = raise_order(world_a, active_contract(world_a))
    response = session_as(world_a.client_admin).post(
        f"{ORDERS}{order.pk}/attachments/", {"file": BAD_UPLOADS[bad]()}, format="multipart")
    assert_error(response, 400, field="file")
    assert attachments_of(world_a, order) == [] and stored_files(media) == []


def test_an_upload_without_a_file_or_as_json_is_refused(world_a):
    order = raise_order(world_a, active_contract(world_a))
    api = session_as(world_a.client_admin)
    assert_error(api.post(f"{ORDERS}{order.pk}/attachments/", {}, format="multipart"), 400, field="file")
    assert_error(api.post(f"{ORDERS}{order.pk}/attachments/", {"file": "x"}, format="json"), 415)


def test_the_eleventh_file_through_the_api_is_refused(world_a, api_as, media):
    order = raise_order(world_a, active_contract(world_a))
    for number in range(10):
        attach(world_a, order, world_a.engineer, pdf(f"{number}.pdf"))
    response = api_as(world_a, user=world_a.engineer).post(f"{ORDERS}{order.pk}/attachments/", {"file": pdf()},
                                                           format="multipart")
    assert_error(response, 400, code="too_many_files", field="file")
    assert len(stored_files(media)) == 10


def test_viewers_and_read_only_keys_cannot_attach_through_the_api(world_a, api_as):
    order = raise_order(world_a, active_contract(world_a))
    url = f"{ORDERS}{order.pk}/attachments/"
    assert_error(session_as(world_a.client_viewer).post(url, {"file": pdf()}, format="multipart"), 403)
    assert_error(api_as(world_a, scopes=("read",)).post(url, {"file": pdf()}, format="multipart"), 403)
    assert attachments_of(world_a, order) == []


def test_the_api_download_answers_with_the_bytes_and_safe_headers(world_a, api_as):
    order = raise_order(world_a, active_contract(world_a))
    attachment = attach(world_a, order, world_a.client_admin, pdf(CYRILLIC))
    for accept in ("*/*", "application/pdf", "application/octet-stream"):
        response = api_as(world_a, scopes=("read",)).get(api_download_url(order, attachment), HTTP_ACCEPT=accept)
        assert response.status_code == 200, (accept, response.content)
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert f"filename*=UTF-8''{quote(CYRILLIC, safe='')}" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
    missing = session_as(world_a.client_admin).get(f"{ORDERS}{order.pk}/attachments/999999/download/",
                                                   HTTP_ACCEPT="application/pdf")
    assert_error(missing, 404)


def test_tenant_b_cannot_list_attach_or_download_tenant_as_files(world_a, world_b, api_as, media):
    order = raise_order(world_a, active_contract(world_a))
    attachment = attach(world_a, order, world_a.client_admin)
    for api in (api_as(world_b), session_as(world_b.client_admin)):
        assert_error(api.get(f"{ORDERS}{order.pk}/attachments/"), 404)
        assert_error(api.post(f"{ORDERS}{order.pk}/attachments/", {"file": pdf()}, format="multipart"), 404)
        assert_error(api.get(api_download_url(order, attachment)), 404)
    assert len(attachments_of(world_a, order)) == 1 and len(stored_files(media)) == 1


def test_a_client_user_cannot_reach_another_clients_files_through_the_api(world_a):
    _client_y, user_y, contract_y = other_client(world_a)
    theirs = raise_order(world_a, contract_y, actor=user_y)
    their_file = attach(world_a, theirs, user_y)
    api = session_as(world_a.client_admin)
    assert_error(api.get(f"{ORDERS}{theirs.pk}/attachments/"), 404)
    assert_error(api.post(f"{ORDERS}{theirs.pk}/attachments/", {"file": pdf()}, format="multipart"), 404)
    assert_error(api.get(api_download_url(theirs, their_file)), 404)
    mine = raise_order(world_a, active_contract(world_a))
    assert_error(api.get(api_download_url(mine, their_file)), 404)
    assert len(attachments_of(world_a, theirs)) == 1


def test_listing_files_takes_a_constant_number_of_queries(world_a, api_as):
    order = raise_order(world_a, active_contract(world_a))
    api = api_as(world_a, user=world_a.engineer)
    attach(world_a, order, world_a.client_admin)
    api.get(ORDERS)  # warm up: the key's first use is recorded
    few_files, few_orders = count_queries(api, f"{ORDERS}{order.pk}/attachments/"), count_queries(api, ORDERS)
    for uploader in (world_a.engineer, world_a.client_signatory, world_a.account_manager):
        attach(world_a, order, uploader, internal=True)
    other = raise_order(world_a, active_contract(world_a))
    attach(world_a, other, world_a.admin)
    assert count_queries(api, f"{ORDERS}{order.pk}/attachments/") == few_files
    assert count_queries(api, ORDERS) == few_orders
