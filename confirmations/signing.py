"""The tenant's seal: its certificates and keys, PAdES sealing with pyHanko, and checking a seal.

Each tenant gets a self-signed EC P-256 certificate in its own name the first time it seals an
act. The private key is stored encrypted (Fernet) under the newest of `SEAL_KEYS`
(confirmations.seal_keys), so a database dump alone cannot forge a seal, and the encrypting keys can
be rotated (`manage.py rotate_seal_keys`). A tenant may hold several certificates: exactly one is
current and makes new seals; renewing (`renew_certificate`) makes a new current one, and the old
ones stay to verify what they sealed. Two workers racing to create the first certificate end with
one: the table's partial unique constraint decides, and the loser reads the winner's row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.db import IntegrityError, transaction
from django.utils import timezone

from tenancy.context import require_tenant_id
from tenancy.models import Tenant

from . import seal_keys
from .models import TenantCertificate

CERTIFICATE_YEARS = 10
SIGNATURE_FIELD = "PlatformSeal"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _generate(tenant: Tenant) -> TenantCertificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"{tenant.name} — act seal"[:64]),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, tenant.name[:64]),
    ])
    now = timezone.now()
    not_after = now + dt.timedelta(days=365 * CERTIFICATE_YEARS)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    key_id, encrypted = seal_keys.encrypt(key_pem)
    return TenantCertificate(
        tenant=tenant,
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        encrypted_key=encrypted,
        key_id=key_id,
        fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
        not_after=not_after,
        created_at=now,
        is_current=True,
    )


def tenant_certificate() -> TenantCertificate:
    """The current tenant's current seal certificate, created on first use (race-safe)."""
    tenant_id = require_tenant_id()
    existing = TenantCertificate.objects.filter(tenant_id=tenant_id, is_current=True).first()
    if existing is not None:
        return existing
    candidate = _generate(Tenant.objects.get(pk=tenant_id))
    try:
        with transaction.atomic():
            candidate.save()
    except IntegrityError:
        return TenantCertificate.objects.get(tenant_id=tenant_id, is_current=True)
    return candidate


def renew_certificate() -> TenantCertificate:
    """A new current certificate (and key) for the current tenant; the one it replaces stays, no
    longer current, so that the seals it made still verify. Two renewals at once make two new
    certificates one after the other (the current row is locked), never two current ones."""
    tenant_id = require_tenant_id()
    candidate = _generate(Tenant.objects.get(pk=tenant_id))  # key generation outside the lock
    with transaction.atomic():
        current = list(TenantCertificate.objects.select_for_update(of=("self",))
                       .filter(tenant_id=tenant_id, is_current=True))
        now = timezone.now()
        TenantCertificate.objects.filter(pk__in=[c.pk for c in current]).update(is_current=False, replaced_at=now)
        candidate.created_at = now
        candidate.save()
    return candidate


def private_key_der(record: TenantCertificate) -> bytes:
    """The certificate's private key (PKCS#8 DER), decrypted with whichever of SEAL_KEYS opens it."""
    key_pem, _key_id = seal_keys.decrypt(bytes(record.encrypted_key), record.key_id)
    return serialization.load_pem_private_key(key_pem, None).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _asn1_certificate(pem: str) -> asn1_x509.Certificate:
    der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)
    return asn1_x509.Certificate.load(der)


@dataclass(frozen=True)
class Sealed:
    pdf: bytes
    sha256: str
    fingerprint: str


def _stamp_style(stamp_pdf: bytes):
    """A pyHanko stamp style whose appearance is the first page of `stamp_pdf` (rendered by WeasyPrint:
    pyHanko's own text stamps need uharfbuzz for anything beyond Latin-1)."""
    from pyhanko.pdf_utils import content
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.stamp import StaticStampStyle

    class _PdfPageBytes(content.ImportedPdfPage):
        def render(self) -> bytes:
            from pyhanko.pdf_utils.layout import BoxConstraints

            xobj = self._ensure_writer.import_page_as_xobject(PdfFileReader(io.BytesIO(stamp_pdf)), page_ix=0)
            self.resources.xobject["/StampPage"] = xobj
            x1, y1, x2, y2 = xobj.get_object()["/BBox"]
            self.box = BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
            return b"/StampPage Do"

    return StaticStampStyle(background=_PdfPageBytes(None), border_width=0, background_opacity=1.0)


def seal_pdf(pdf: bytes, *, reason: str, signer_name: str, location: str = "", stamp: bytes | None = None,
             stamp_box: tuple[float, float, float, float] | None = None) -> Sealed:
    """Append a PAdES signature over the whole of `pdf` under the current tenant's certificate.

    The signature is an incremental update: the original bytes stay the sealed file's prefix. With
    `stamp` (a one-page PDF) and `stamp_box` (x1, y1, x2, y2 in points on the last page) the signature
    field is visible there, drawn as that page; without, the signature is invisible.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    record = tenant_certificate()
    certificate = _asn1_certificate(record.certificate_pem)
    key_der = private_key_der(record)
    signer = signers.SimpleSigner(
        signing_cert=certificate, signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([certificate]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason[:200], name=signer_name[:200], location=location[:200] or None,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    if stamp and stamp_box:
        last_page = int(writer.root["/Pages"]["/Count"]) - 1
        pdf_signer = signers.PdfSigner(
            meta, signer=signer, stamp_style=_stamp_style(stamp),
            new_field_spec=fields.SigFieldSpec(SIGNATURE_FIELD, on_page=last_page, box=stamp_box))
    else:
        pdf_signer = signers.PdfSigner(meta, signer=signer)
    out = pdf_signer.sign_pdf(writer)
    sealed = out.getvalue()
    return Sealed(pdf=sealed, sha256=sha256_hex(sealed), fingerprint=record.fingerprint)


# --- checking a seal ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SealCheck:
    """What the embedded signature of a PDF says, whoever's it is."""

    readable: bool  # a PDF pyHanko could parse
    signed: bool  # it carries at least one signature
    fingerprint: str = ""  # SHA-256 of the signer's certificate
    reason: str = ""
    intact: bool = False  # the signed bytes are unchanged
    valid: bool = False  # intact and the signature verifies under the certificate
    covers_whole_file: bool = False  # nothing was appended after the signature


def check_seal(pdf: bytes, *, trusted_pem: Callable[[str], str | None] = lambda fingerprint: None) -> SealCheck:
    """Validate the first signature of `pdf`. `trusted_pem(fingerprint)` gives the PEM of the
    platform's certificate with that SHA-256 fingerprint, if there is one; only it is trusted.

    Anything may be uploaded, so nothing the bytes can cause escapes as an exception: pyHanko and the
    libraries under it raise many kinds on mangled input (zlib.error, PdfReadError, ValueError,
    KeyError, RecursionError, …), and each is an answer here ("not readable", "signed but broken").
    """
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # noqa: BLE001 — unreadable bytes are an answer, not a crash
        return SealCheck(readable=False, signed=False)
    if not signatures:
        return SealCheck(readable=True, signed=False)
    try:
        embedded = signatures[0]
        cert = embedded.signer_cert
        fingerprint = hashlib.sha256(cert.dump()).hexdigest()
        reason = str(embedded.sig_object.get("/Reason", "") or "")
    except Exception:  # noqa: BLE001 — a mangled signature dictionary or CMS blob: signed, but broken
        return SealCheck(readable=True, signed=True)
    pem = trusted_pem(fingerprint)
    try:
        # an unknown signer is still checked for integrity, against its own certificate
        context = ValidationContext(trust_roots=[_asn1_certificate(pem) if pem else cert], allow_fetching=False)
        status = validate_pdf_signature(embedded, context, skip_diff=True)
        return SealCheck(
            readable=True, signed=True, fingerprint=fingerprint, reason=reason,
            intact=bool(status.intact), valid=bool(status.intact and status.valid),
            covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        )
    except Exception:  # noqa: BLE001 — pyHanko raises many kinds on corrupted input
        return SealCheck(readable=True, signed=True, fingerprint=fingerprint, reason=reason)
