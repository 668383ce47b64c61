"""The act as a PDF: a Django template per language, rendered by WeasyPrint.

Rendering is deterministic (no clock in the output), so the same act renders to the same bytes;
still, the hash that counts is the one fixed when the act is sent.
"""

from __future__ import annotations

import logging

from django.template.loader import render_to_string
from django.utils import timezone, translation

from contracts.models import ContractParty, PartyKind
from tenancy.legal import supplier_of

from .models import Act

TEMPLATES = {Act.Language.RU: "confirmations/pdf/act_ru.html", Act.Language.EN: "confirmations/pdf/act_en.html"}

# WeasyPrint reports every rendering step at INFO; the worker's log needs none of it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _party(contract, kind: str):
    return next((p for p in ContractParty.objects.filter(contract=contract, kind=kind)), None)


def act_pdf_context(act: Act) -> dict:
    contract = act.contract
    return {
        "act": act,
        "contract": contract,
        "provider": supplier_of(contract),
        "client": contract.client,
        "provider_party": _party(contract, PartyKind.CONTRACTOR),
        "client_party": _party(contract, PartyKind.CUSTOMER),
        "lines": list(act.lines.select_related("order").order_by("position")),
        "tenant": act.contract.tenant,
        "stamp_box_keyword": STAMP_BOX_KEYWORD,
    }


def render_act_pdf(act: Act) -> bytes:
    """The PDF of the act in its own language (not the reader's)."""
    from weasyprint import HTML

    with translation.override(act.language), timezone.override("UTC"):
        html = render_to_string(TEMPLATES[act.language], act_pdf_context(act))
    return HTML(string=html).write_pdf()


# --- the signature stamp ------------------------------------------------------------------------

# Acts rendered with the reserved stamp box say so in their PDF keywords; the seal draws its visible
# stamp only on those (acts rendered before the box existed keep an invisible signature).
STAMP_BOX_KEYWORD = "signature-stamp-box-v1"
MM = 72 / 25.4
STAMP_WIDTH_MM, STAMP_HEIGHT_MM = 96, 30
# (x1, y1, x2, y2) in PDF points on an A4 page: right-aligned with the text, 16 mm above the bottom
# edge, inside the 50 mm bottom margin the act's page style keeps free (pdf/_style.html)
STAMP_BOX = (
    round((210 - 16 - STAMP_WIDTH_MM) * MM, 2), round(16 * MM, 2),
    round((210 - 16) * MM, 2), round((16 + STAMP_HEIGHT_MM) * MM, 2),
)
STAMP_LABELS = {
    Act.Language.EN: {"title": "Signed electronically", "signer": "Signer", "client": "Customer",
                      "time": "Signed at", "rating": "Rating", "of": "of", "verify": "Verify",
                      "deemed": "Deemed accepted at the deadline", "deemed_title": "Accepted by deadline"},
    Act.Language.RU: {"title": "Подписано электронной подписью", "signer": "Подписант", "client": "Заказчик",
                      "time": "Время подписания", "rating": "Оценка", "of": "из", "verify": "Проверка",
                      "deemed": "Принят по истечении срока", "deemed_title": "Принят по истечении срока"},
}


def has_stamp_box(pdf: bytes) -> bool:
    """Was `pdf` rendered with the stamp box kept free (its keywords say so)?"""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        info = PdfFileReader(io.BytesIO(pdf), strict=False).trailer_view.get("/Info")
        return STAMP_BOX_KEYWORD in str(info.get_object().get("/Keywords", "")) if info is not None else False
    except Exception:  # noqa: BLE001 — a PDF pyHanko cannot read gets the invisible seal
        return False


def stamp_context(act: Act, evidence) -> dict:
    """What the stamp says: signer and their organisation, the time in the tenant's zone, the rating,
    the signed document's hash (shortened) and where to verify the file."""
    import zoneinfo

    from django.conf import settings
    from django.urls import reverse

    labels = STAMP_LABELS[act.language]
    zone = act.tenant.time_zone
    signed_at = evidence.signed_at.astimezone(zoneinfo.ZoneInfo(zone))
    confirmation = getattr(act, "confirmation", None)
    rating = confirmation.rating if confirmation is not None else None
    deemed = evidence.method == evidence.Method.DEEMED
    client = act.client
    sha = evidence.document_sha256 or act.pdf_sha256
    verify_url = settings.SITE_URL + reverse("confirmations:verify")
    return {
        "language": act.language,
        "labels": {**labels, "title": labels["deemed_title"] if deemed else labels["title"]},
        "signer": labels["deemed"] if deemed else (evidence.signer_name or "—"),
        "client": client.legal_name or client.name,
        "signed_at": f"{signed_at:%d.%m.%Y %H:%M} {zone} (UTC{_offset(signed_at)})",
        "rating": f"{'★' * rating}{'☆' * (5 - rating)} {rating} {labels['of']} 5" if rating else "",
        "sha_short": f"{sha[:16]}…{sha[-8:]}" if sha else "—",
        "verify_url": verify_url,
        "qr": _qr_data_uri(verify_url),
        "width_mm": STAMP_WIDTH_MM, "height_mm": STAMP_HEIGHT_MM,
    }


def _qr_data_uri(text: str) -> str:
    """A QR code of `text` as an SVG data URI (vector, so it stays sharp when printed)."""
    import base64

    import qrcode
    from qrcode.image.svg import SvgPathImage

    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    svg = code.make_image(image_factory=SvgPathImage).to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _offset(moment) -> str:
    minutes = int(moment.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}" + (f":{rest:02d}" if rest else "")


def render_stamp_pdf(act: Act, evidence) -> bytes:
    """The stamp as a one-page PDF of exactly the stamp's size (WeasyPrint, so Cyrillic renders);
    the seal takes it as the signature field's appearance."""
    from weasyprint import HTML

    html = render_to_string("confirmations/pdf/stamp.html", stamp_context(act, evidence))
    return HTML(string=html).write_pdf()
