"""Public verification of a sealed act's PDF."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tenancy.context import cross_tenant

from ..models import (
    Act,
    SignatureEvidence,
    TenantCertificate,
)
from ..signing import check_seal, sha256_hex

# --- verification -----------------------------------------------------------------------------


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

    @property
    def genuine(self) -> bool:
        return self.verdict == Verdict.GENUINE


_ACT_IN_REASON = re.compile(r"^Act (\S+) r\d+:")


def act_verify(*, pdf: bytes) -> Verification:
    """Is `pdf` an act sealed by this platform, by whom and when, and is it unchanged?

    Looks across every tenant (the one place outside sweeps that must): first by the sealed file's
    SHA-256, then by the embedded signature, whose certificate says which tenant sealed it.
    """
    digest = sha256_hex(pdf)
    with cross_tenant(reason="public verification of a sealed act's PDF"):
        certificates = {}

        def trusted(fingerprint: str) -> str | None:
            record = TenantCertificate.objects.filter(fingerprint=fingerprint).select_related("tenant").first()
            certificates[fingerprint] = record
            return record.certificate_pem if record else None

        check = check_seal(pdf, trusted_pem=trusted)
        act = (Act.objects.select_related("tenant", "client", "contract", "evidence")
               .filter(sealed_sha256=digest).first())
        certificate = certificates.get(check.fingerprint)
        if act is None and certificate is not None:
            match = _ACT_IN_REASON.match(check.reason)
            if match:
                act = (Act.objects.select_related("tenant", "client", "contract", "evidence")
                       .filter(tenant_id=certificate.tenant_id, number=match.group(1)).first())
        evidence = getattr(act, "evidence", None) if act is not None else None
    ours = certificate is not None and (act is None or certificate.tenant_id == act.tenant_id)
    if act is not None and act.sealed_sha256 == digest and ours and check.valid and check.covers_whole_file:
        verdict = Verdict.GENUINE
    elif ours:
        verdict = Verdict.ALTERED
    else:
        verdict, act, evidence = Verdict.UNKNOWN, None, None
    return Verification(verdict=verdict, sha256=digest, act=act, evidence=evidence,
                        tenant_name=act.tenant.name if act is not None else "",
                        intact=check.intact, covers_whole_file=check.covers_whole_file)
