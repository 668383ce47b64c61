"""Reading a raw MIME message (Python's `email` package, `policy.default`) into what the platform
keeps of it, or a refusal that says why: malformed, or carrying an executable."""

from __future__ import annotations

import hashlib
import html
import io
import re
import zipfile
from dataclasses import dataclass, field
from email import errors, policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import PurePath

from django.utils.html import strip_tags
from django.utils.translation import gettext as _

# Defects after which the message's structure cannot be trusted.
_FATAL_DEFECTS = (
    errors.MissingHeaderBodySeparatorDefect,
    errors.NoBoundaryInMultipartDefect,
    errors.StartBoundaryNotFoundDefect,
    errors.CloseBoundaryNotFoundDefect,
    errors.MultipartInvariantViolationDefect,
)
EXECUTABLE_EXTENSIONS = frozenset({
    ".exe", ".com", ".scr", ".pif", ".bat", ".cmd", ".msi", ".msp", ".dll", ".cpl", ".sys", ".drv",
    ".js", ".jse", ".vbs", ".vbe", ".wsf", ".wsh", ".hta", ".ps1", ".psm1", ".sh", ".bash", ".jar",
    ".apk", ".app", ".elf", ".bin", ".run", ".lnk", ".reg", ".gadget", ".appx", ".msix", ".dmg", ".deb", ".rpm",
})
EXECUTABLE_TYPES = frozenset({
    "application/x-msdownload", "application/x-dosexec", "application/x-executable", "application/x-msdos-program",
    "application/vnd.microsoft.portable-executable", "application/x-sh", "application/x-shellscript",
    "application/java-archive", "application/vnd.android.package-archive", "application/x-elf",
})
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe")
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
# Where a reply's quoted original starts.
_QUOTE_START = re.compile(
    r"^(On .{1,200} wrote:|-{2,} ?Original Message ?-{2,}|-{2,} ?Исходное сообщение ?-{2,}|.{1,200} писал\(а\):"
    r"|From: .+|От: .+)\s*$", re.IGNORECASE)


class MailRefused(Exception):
    """A message that is not taken in: `code` is "malformed", "too_large" or "executable"."""

    def __init__(self, reason: str, code: str):
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass
class Attachment:
    name: str
    content_type: str
    content: bytes


@dataclass
class ParsedMail:
    message_id: str
    from_address: str
    from_name: str
    subject: str
    body: str
    recipients: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    automatic: bool = False


def fallback_message_id(raw: bytes) -> str:
    """What names a message with no (usable) Message-ID: its SHA-256."""
    return f"<sha256.{hashlib.sha256(raw).hexdigest()}@inbound>"


def _addresses(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    found = []
    for header in message.get_all(name, []) or []:
        for address in getattr(header, "addresses", ()):
            if address.addr_spec and "@" in address.addr_spec:
                found.append((address.addr_spec.strip().lower(), str(address.display_name or "").strip()))
    return found


def _is_executable(attachment: Attachment) -> bool:
    if PurePath(attachment.name.lower()).suffix in EXECUTABLE_EXTENSIONS:
        return True
    if attachment.content_type in EXECUTABLE_TYPES or attachment.content.startswith(_EXECUTABLE_MAGIC):
        return True
    if attachment.content.startswith(b"PK\x03\x04"):  # an archive: look at the names inside
        try:
            with zipfile.ZipFile(io.BytesIO(attachment.content)) as archive:
                return any(PurePath(n.lower()).suffix in EXECUTABLE_EXTENSIONS for n in archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
    return False


def _text_of(part: EmailMessage) -> str:
    content = part.get_content()
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    if part.get_content_subtype() == "html":
        content = html.unescape(strip_tags(re.sub(r"(?i)<br\s*/?>|</p>", "\n", content)))
    return content.replace("\r\n", "\n").strip()


def parse(raw: bytes) -> ParsedMail:
    """The parts of `raw` the platform keeps, or MailRefused ("malformed" or "executable")."""
    if not raw or not raw.strip():
        raise MailRefused(_("The message is empty."), "malformed")
    try:
        mail = _read(raw)
    except MailRefused:
        raise
    except (LookupError, ValueError, TypeError, AttributeError, IndexError, errors.MessageError) as exc:
        raise MailRefused(_("The message is malformed: %(error)s") % {"error": type(exc).__name__}, "malformed") from exc
    for attachment in mail.attachments:
        if _is_executable(attachment):
            raise MailRefused(_("“%(name)s” is an executable program; messages carrying programs are refused.")
                              % {"name": attachment.name}, "executable")
    return mail


def _read(raw: bytes) -> ParsedMail:
    """`raw` read into what the platform keeps; MailRefused when it is not an e-mail or has no sender.
    The `email` package's own errors pass through, for `parse` to name."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    _check_structure(message)
    senders = _addresses(message, "From")
    if not senders:
        raise MailRefused(_("The message has no valid sender (From) address."), "malformed")
    from_address, from_name = senders[0]
    subject = " ".join(str(message.get("Subject", "") or "").split())
    raw_id = str(message.get("Message-ID", "") or "").strip()
    found_id = _MESSAGE_ID.search(raw_id)
    message_id = found_id.group(0) if found_id else fallback_message_id(raw)
    references: list[str] = []
    for name in ("In-Reply-To", "References"):
        references += _MESSAGE_ID.findall(str(message.get(name, "") or ""))
    recipients = [a for name in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
                  for a, _name in _addresses(message, name)]
    automatic = _is_automatic(message)
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = _text_of(body_part) if body_part is not None else ""
    attachments = _attachments(message, body_part)
    return ParsedMail(message_id=message_id[:255], from_address=from_address[:254], from_name=from_name[:200],
                      subject=subject[:300], body=body, recipients=recipients, references=references,
                      attachments=attachments, automatic=automatic)


def _check_structure(message: EmailMessage) -> None:
    """MailRefused when the message has no headers or a defect after which its parts cannot be trusted."""
    if not list(message.keys()):
        raise MailRefused(_("The message has no headers: it is not an e-mail."), "malformed")
    for part in message.walk():
        fatal = [d for d in part.defects if isinstance(d, _FATAL_DEFECTS)]
        if fatal:
            raise MailRefused(_("The message is malformed: %(defect)s") % {"defect": type(fatal[0]).__name__},
                              "malformed")


def _is_automatic(message: EmailMessage) -> bool:
    """Sent by a machine (an auto-reply, a list, bulk mail): nothing to answer."""
    return (str(message.get("Auto-Submitted", "no") or "no").strip().lower() != "no"
            or str(message.get("Precedence", "") or "").strip().lower() in ("bulk", "junk", "auto_reply", "list")
            or message.get("X-Autoreply") is not None or message.get("X-Autorespond") is not None)


def _attachments(message: EmailMessage, body_part) -> list[Attachment]:
    """Every leaf part but the body that is named or marked as an attachment."""
    attachments = []
    for part in message.walk():
        if part.is_multipart() or part is body_part:
            continue
        name = part.get_filename()
        if not name and part.get_content_disposition() != "attachment":
            continue  # an inline part without a name: an alternative body, a signature image
        content = part.get_payload(decode=True) or b""
        attachments.append(Attachment(name=str(name or "attachment"), content_type=part.get_content_type(),
                                      content=content))
    return attachments


def reply_text(body: str) -> str:
    """The new text of a reply: up to the quoted original, without "> " lines."""
    kept = []
    for line in body.splitlines():
        if _QUOTE_START.match(line.strip()):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def peek(raw: bytes) -> tuple[str, str, str]:
    """(from, subject, Message-ID or "") of a refused message, as far as they can be read at all."""
    try:
        head = raw[:64 * 1024].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        message = BytesParser(policy=policy.default).parsebytes(head, headersonly=True)
        senders = _addresses(message, "From")
        found_id = _MESSAGE_ID.search(str(message.get("Message-ID", "") or ""))
        return ((senders[0][0] if senders else "")[:254], " ".join(str(message.get("Subject", "") or "").split())[:300],
                found_id.group(0)[:255] if found_id else "")
    except Exception:  # noqa: BLE001 — best effort for the record of a refused message
        return "", "", ""
