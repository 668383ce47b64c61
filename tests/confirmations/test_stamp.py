"""The sealed act carries a visible signature stamp: a PAdES signature field on the last page, drawn
in the box the act's page style keeps free, saying who signed for which client, when (in the
tenant's zone), the rating, the document's hash and where to verify it; the seal still validates."""

from __future__ import annotations

import datetime as dt
import io
import re
import zoneinfo

import pytest

from confirmations import services
from confirmations.pdf import STAMP_BOX
from confirmations.services import Verdict
from confirmations.signing import SIGNATURE_FIELD

from .support import read, reload, sent_act, sign

pytestmark = pytest.mark.django_db


def _bfchars(cmap: bytes) -> dict[int, str]:
    """A ToUnicode CMap's code → text (the bfchar and bfrange entries WeasyPrint writes)."""
    table: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            table[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, text in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            start = int.from_bytes(bytes.fromhex(text.decode()), "big")
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                table[code] = chr(start + offset)
    return table


def _get(dictionary, key):
    """`dictionary[key]` dereferenced, or an empty dict when absent."""
    return dictionary[key] if key in dictionary else {}


def _xobject_text(xobject) -> str:
    """The text a form XObject draws, its nested forms' included, decoded through the fonts' ToUnicode."""
    resources = _get(xobject, "/Resources")
    font_dict = _get(resources, "/Font")
    fonts = {name: _bfchars(_get(font_dict, name)["/ToUnicode"].data) if "/ToUnicode" in _get(font_dict, name) else {}
             for name in font_dict}
    parts = []
    font = {}
    for token in re.finditer(rb"/([\w.+-]+)\s+[\d.]+\s+Tf|<([0-9a-fA-F]*)>|/([\w.+-]+)\s+Do|(T\*|Td|TD|ET)",
                             xobject.data):
        if token.group(1):
            font = fonts.get("/" + token.group(1).decode(), {})
        elif token.group(2) is not None:
            raw = bytes.fromhex(token.group(2).decode())
            width = 2 if any(code > 255 for code in font) else 1
            parts.append("".join(font.get(int.from_bytes(raw[i:i + width], "big"), "")
                                 for i in range(0, len(raw), width)))
        elif token.group(3):
            inner = _get(_get(resources, "/XObject"), "/" + token.group(3).decode())
            if inner:
                parts.append(" " + _xobject_text(inner) + " ")
        else:
            parts.append(" ")
    return re.sub(r"\s+", " ", "".join(parts))


def stamp_of(pdf: bytes):
    """The seal's signature field on the sealed PDF: its page, rectangle and appearance text."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    (signature,) = reader.embedded_signatures
    field = signature.sig_field
    assert field["/T"] == SIGNATURE_FIELD
    rect = [float(v) for v in field["/Rect"]]
    page = field["/P"]
    pages = [reader.root["/Pages"]["/Kids"][i].get_object() for i in range(int(reader.root["/Pages"]["/Count"]))]
    appearance = field["/AP"]["/N"].get_object()
    return {"rect": rect, "on_last_page": page.get_object() is pages[-1] or page == reader.root["/Pages"]["/Kids"][-1],
            "text": _xobject_text(appearance)}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_sealed_act_shows_who_signed_when_with_which_rating(world_a, django_capture_on_commit_callbacks,
                                                                 language):
    capture = django_capture_on_commit_callbacks
    act = sign(world_a, sent_act(world_a, capture, language=language), capture, rating=4)
    sealed = read(act.sealed_pdf)
    with world_a.context():
        client = act.contract.client
    stamp = stamp_of(sealed)
    assert stamp["rect"] == pytest.approx(list(STAMP_BOX), abs=0.01)
    assert stamp["on_last_page"]
    text = stamp["text"]
    assert act.evidence.signer_name in text
    assert (client.legal_name or client.name) in text
    assert act.pdf_sha256[:16] in text
    assert "/verify/" in text
    assert ("4 of 5" if language == "en" else "4 из 5") in text
    assert ("signed electronically" if language == "en" else "подписано электронной подписью") in text.casefold()
    zone = world_a.tenant.time_zone
    signed_at = act.evidence.signed_at.astimezone(zoneinfo.ZoneInfo(zone))
    assert f"{signed_at:%d.%m.%Y %H:%M} {zone}" in text
    assert services.act_verify(pdf=sealed).verdict == Verdict.GENUINE


def test_an_act_rendered_before_the_stamp_box_gets_an_invisible_seal_that_still_verifies(world_a):
    """Acts sent before the box existed have no free space at the bottom: their seal draws nothing."""
    from weasyprint import HTML

    from confirmations.pdf import has_stamp_box
    from confirmations.signing import seal_pdf

    old = HTML(string="<p>An act of the old layout</p>").write_pdf()
    assert not has_stamp_box(old)
    with world_a.context():
        sealed = seal_pdf(old, reason="Act X r1: test", signer_name="Test", stamp=None)
    from pyhanko.pdf_utils.reader import PdfFileReader

    (signature,) = PdfFileReader(io.BytesIO(sealed.pdf), strict=False).embedded_signatures
    assert [float(v) for v in signature.sig_field["/Rect"]] == [0, 0, 0, 0]


def test_a_deemed_accepted_act_is_stamped_as_accepted_at_the_deadline(world_a, django_capture_on_commit_callbacks):
    import time_machine

    from confirmations import tasks

    capture = django_capture_on_commit_callbacks
    act = sent_act(world_a, capture, language="ru")
    with time_machine.travel(act.accept_by + dt.timedelta(minutes=1)), capture(execute=True):
        assert tasks.deem_overdue_acts.delay().get() == 1
    act = reload(world_a, act)
    text = stamp_of(read(act.sealed_pdf))["text"]
    assert "Принят по истечении срока" in text and "из 5" not in text


def test_the_stamp_carries_the_verification_link_as_a_qr_code(world_a, django_capture_on_commit_callbacks):
    import base64

    import qrcode

    from confirmations.pdf import stamp_context

    capture = django_capture_on_commit_callbacks
    act = sign(world_a, sent_act(world_a, capture, language="en"), capture, rating=5)
    with world_a.context():
        context = stamp_context(act, act.evidence)
    assert context["qr"].startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(context["qr"].split(",", 1)[1]).decode()
    # the same link drawn by the same encoder: the stamp's code reads as the verification page
    expected = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    expected.add_data(context["verify_url"])
    from qrcode.image.svg import SvgPathImage

    assert svg == expected.make_image(image_factory=SvgPathImage).to_string().decode()
    assert "<path" in svg
    # and the sealed file's stamp draws it (an image beside the text)
    assert b"/Subtype /Form" in read(act.sealed_pdf) or b"/Subtype/Form" in read(act.sealed_pdf)
