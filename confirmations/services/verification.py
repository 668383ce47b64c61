"""Public verification of a sealed act's PDF: anyone may upload any bytes, and always gets an answer.

- **genuine**: the file is, byte for byte, an act sealed here, and its seal validates over the whole
  file under the tenant's certificate (current or an earlier one);
- **altered**: the file is one of ours but not as sealed: its signature names one of our
  certificates, or its first part is an act we sealed with something changed or added after, or it
  still carries our signature dictionary (the `PlatformSeal` field, an "Act … r…:" reason) although
  it no longer parses or validates;
- **unknown**: anything else (with `is_pdf` false when it does not even look like a PDF).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from tenancy.context import cross_tenant
from tenancy.errors import DomainError

from ..models import ACCEPTED_STATES, Act, SignatureEvidence, TenantCertificate
from ..signing import SIGNATURE_FIELD, check_seal, sha256_hex

MAX_VERIFY_BYTES = 20 * 1024 * 1024  # a sealed act is tens of kilobytes; scans of it a few megabytes


class FileTooLarge(DomainError):
    status = 413
    code = "too_large"

    def __init__(self):
        super().__init__(_("The file is larger than %(limit)s MB.") % {"limit": MAX_VERIFY_BYTES // (1024 * 1024)},
                         field="file")


class Verdict:
    GENUINE = "genuine"
    ALTERED = "altered"
    UNKNOWN = "unknown"


@dataclass
class Verification:
    verdict: str
    sha256: str
    act: Act | None = None
    evidence: SignatureEvidence | None = None
    tenant_name: str = ""
    intact: bool = False
    covers_whole_file: bool = False
    is_pdf: bool = True

    @property
    def genuine(self) -> bool:
        return self.verdict == Verdict.GENUINE


_ACT_IN_REASON = re.compile(r"^Act (\S+) r\d+:")
# our signature dictionary, as pyHanko writes it, found in the raw bytes when nothing parses any more
_OUR_SEAL_FIELD = re.compile(rb"/T\s*\(" + re.escape(SIGNATURE_FIELD.encode()) + rb"\)")
_OUR_REASON = re.compile(rb"/Reason\s*\(Act [^\s()]{1,80} r\d{1,5}(?::|\\072)")  # pyHanko writes ":" as \072
_EOF = re.compile(rb"%%EOF(?:\r\n|\r|\n)?")
_PREFIXES_TRIED = 4


def looks_like_pdf(data: bytes) -> bool:
    """A PDF header near the start (readers accept up to 1 KB of junk before it)."""
    return b"%PDF-" in data[:1024]


def _carries_our_seal_dictionary(data: bytes) -> bool:
    return bool(_OUR_SEAL_FIELD.search(data) or _OUR_REASON.search(data))


def _prefix_digests(data: bytes) -> list[str]:
    """SHA-256 of each leading part of `data` that ends a PDF revision (`%%EOF`) before the end of the
    file: a sealed act starts with the exact PDF that was signed, so one of these names it."""
    digests: list[str] = []
    for match in _EOF.finditer(data):
        if match.end() >= len(data) or len(digests) >= _PREFIXES_TRIED * 2:
            break
        digests += [sha256_hex(data[:match.start() + 5]), sha256_hex(data[:match.end()])]
    return list(dict.fromkeys(digests))


def _acts():
    return Act.objects.select_related("tenant", "client", "contract", "evidence", "confirmation")


def act_verify(*, pdf: bytes) -> Verification:
    """Is `pdf` an act sealed by this platform, by whom and when, and is it unchanged?

    Looks across every tenant (the one place outside sweeps that must): first by the sealed file's
    SHA-256, then by the embedded signature, whose certificate says which tenant sealed it, then by
    the PDF the seal was put on. Never raises on what the bytes contain.
    """
    if len(pdf) > MAX_VERIFY_BYTES:
        raise FileTooLarge
    digest = sha256_hex(pdf)
    with cross_tenant(reason="public verification of a sealed act's PDF"):
        certificates = {}

        def trusted(fingerprint: str) -> str | None:
            record = TenantCertificate.objects.filter(fingerprint=fingerprint).select_related("tenant").first()
            certificates[fingerprint] = record
            return record.certificate_pem if record else None

        check = check_seal(pdf, trusted_pem=trusted)
        act = _acts().filter(sealed_sha256=digest).first()
        certificate = certificates.get(check.fingerprint)
        if act is None and certificate is not None:
            match = _ACT_IN_REASON.match(check.reason)
            if match:
                act = _acts().filter(tenant_id=certificate.tenant_id, number=match.group(1)).first()
        if act is None and certificate is None:
            prefixes = _prefix_digests(pdf)
            if prefixes:
                act = (_acts().filter(pdf_sha256__in=prefixes, state__in=ACCEPTED_STATES)
                       .exclude(sealed_sha256="").first())
        evidence = getattr(act, "evidence", None) if act is not None else None
    if certificate is not None and act is not None and certificate.tenant_id != act.tenant_id:
        act = None  # a certificate of one tenant over another tenant's act: ours, but say nothing of it
    ours = certificate is not None or act is not None or _carries_our_seal_dictionary(pdf)
    if act is not None and act.sealed_sha256 == digest and certificate is not None and check.valid \
            and check.covers_whole_file:
        verdict = Verdict.GENUINE
    elif ours:
        verdict = Verdict.ALTERED
    else:
        verdict, act, evidence = Verdict.UNKNOWN, None, None
    if act is None:
        evidence = None
    return Verification(verdict=verdict, sha256=digest, act=act, evidence=evidence,
                        tenant_name=act.tenant.name if act is not None else "",
                        intact=check.intact, covers_whole_file=check.covers_whole_file,
                        is_pdf=ours or looks_like_pdf(pdf))
