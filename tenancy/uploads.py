"""Files people attach: orders' attachments, dispute documents, obligation evidence.

One allow-list of types (by extension, by the type the sender declares, and by the first bytes of
binary formats), one size limit (`ORDER_ATTACHMENT_MAX_BYTES`), one clean file name, one digest, and
one way to send a stored file back: as a download under its original name, never rendered as a
page of this site.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .errors import DomainError

# Extension → the content type stored (and served for the safe ones). Only these are accepted.
ATTACHMENT_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".txt": "text/plain",
    ".log": "text/plain",
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".zip": "application/zip",
    ".eml": "message/rfc822",
}
# What browsers and API clients declare for those files; anything else (text/html, image/svg+xml,
# application/x-msdownload…) is refused even under an allowed extension.
DECLARED_TYPES = frozenset(ATTACHMENT_TYPES.values()) | {
    "", "application/octet-stream", "application/x-pdf", "image/jpg", "image/pjpeg", "text/x-log",
    "application/csv", "text/x-csv", "text/comma-separated-values", "application/vnd.ms-excel",
    "application/x-zip-compressed", "application/x-zip", "multipart/x-zip",
}
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
# How the first bytes of a binary type look; text types are not checked (they download as bytes).
_SIGNATURES = {
    ".pdf": lambda head: b"%PDF-" in head[:1024],
    ".png": lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    ".jpg": lambda head: head.startswith(b"\xff\xd8\xff"),
    ".jpeg": lambda head: head.startswith(b"\xff\xd8\xff"),
    ".gif": lambda head: head.startswith((b"GIF87a", b"GIF89a")),
    ".webp": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP",
    ".xlsx": lambda head: head.startswith(_ZIP),
    ".docx": lambda head: head.startswith(_ZIP),
    ".zip": lambda head: head.startswith(_ZIP),
}


def attachment_accept() -> str:
    """The allow-list for a file input's `accept` attribute."""
    return ",".join(ATTACHMENT_TYPES)


def clean_file_name(name: str) -> str:
    """The name to show and download as: no directories, no control or bidi-override characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[:250 - len(ext)]}{dot}{ext}" if dot and len(ext) <= 10 else name[:255]
    return name


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    size: int


def check_upload(upload, *, field: str) -> CheckedUpload:
    """An uploaded file the product accepts, or a DomainError naming `field` that says why not."""
    name = clean_file_name(getattr(upload, "name", ""))
    shown = name or _("(no name)")
    extension = PurePath(name).suffix.lower()
    if extension not in ATTACHMENT_TYPES or not PurePath(name).stem:
        raise DomainError(
            _("“%(name)s”: this type of file is not accepted. Attach PDF, images (PNG, JPEG, GIF, WebP), "
              "text, log or CSV files, Excel or Word documents, ZIP archives or e-mails (.eml).") % {"name": shown},
            field=field, code="file_type")
    declared = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    if declared not in DECLARED_TYPES:
        raise DomainError(_("“%(name)s”: a file sent as %(type)s is not accepted.") % {"name": shown, "type": declared},
                          field=field, code="file_type")
    size = upload.size or 0
    if size == 0:
        raise DomainError(_("“%(name)s” is empty.") % {"name": shown}, field=field, code="empty")
    limit = settings.ORDER_ATTACHMENT_MAX_BYTES
    if size > limit:
        raise DomainError(_("“%(name)s” is %(size)s; a file may be at most %(limit)s.")
                          % {"name": shown, "size": filesizeformat(size), "limit": filesizeformat(limit)},
                          field=field, code="file_too_large")
    signature = _SIGNATURES.get(extension)
    if signature is not None:
        upload.seek(0)
        head = upload.read(1024)
        upload.seek(0)
        if not signature(head):
            raise DomainError(_("“%(name)s” is not really a %(ext)s file.") % {"name": shown, "ext": extension[1:].upper()},
                              field=field, code="file_type")
    return CheckedUpload(name=name, content_type=ATTACHMENT_TYPES[extension], size=size)


def upload_sha256(upload) -> str:
    """The SHA-256 of an uploaded file, read in chunks; the file is rewound after."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


INLINE_SAFE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})


def attachment_response(attachment) -> FileResponse:
    """The file as a download under its original name, never rendered as a page of this site.
    `attachment` has `file`, `original_name` and `content_type`."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    content_type = attachment.content_type if attachment.content_type in INLINE_SAFE_TYPES else "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    fallback = attachment.original_name.encode("ascii", "replace").decode().replace("?", "_")
    fallback = fallback.replace("\\", "_").replace('"', "_")
    response["Content-Disposition"] = (
        f'attachment; filename="{fallback}"; filename*=UTF-8\'\'{quote(attachment.original_name, safe="")}'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
