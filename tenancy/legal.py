"""Russian legal details of an organisation (the tenant, a client, a provider): ИНН, КПП, ОГРН,
legal address and bank details, with the official check-digit algorithms.

Every field may be blank (not every organisation has given them yet), but a value that is given
must validate; `LegalDetails.clean` also checks the fields against each other (a 12-digit ИНН is an
individual entrepreneur's: no КПП and a 15-digit ОГРНИП; a bank account is checked with the БИК).

The algorithms:

- ИНН of an organisation, 10 digits: the 10th is Σ(dᵢ·wᵢ) mod 11 mod 10, weights 2 4 10 3 5 9 4 6 8.
  ИНН of an individual, 12 digits: the 11th with weights 7 2 4 10 3 5 9 4 6 8 over the first ten,
  the 12th with weights 3 7 2 4 10 3 5 9 4 6 8 over the first eleven.
- КПП: 9 characters, 4 digits (tax office), 2 digits or capital Latin letters (reason), 3 digits.
- ОГРН, 13 digits: the last is (the first 12 as a number) mod 11 mod 10; ОГРНИП, 15 digits: the
  first 14 mod 13 mod 10.
- БИК: 9 digits.
- Settlement account (р/с), 20 digits: the last 3 digits of the БИК followed by the account, each
  digit times 7 1 3 7 1 3 …, sum to a multiple of 10. Correspondent account (к/с): the same with
  "0" and the БИК's 5th and 6th digits in front.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

LEGAL_FIELDS = ("inn", "kpp", "ogrn", "legal_address", "bank_name", "bik", "settlement_account",
                "correspondent_account")

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_KPP = re.compile(r"^\d{4}[0-9A-Z]{2}\d{3}$")


def _check_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_is_valid(value: str) -> bool:
    if not value.isascii() or not value.isdigit():
        return False
    if len(value) == 10:
        return _check_digit(value[:9], _INN10_WEIGHTS) == int(value[9])
    if len(value) == 12:
        return (_check_digit(value[:10], _INN12_WEIGHTS_11) == int(value[10])
                and _check_digit(value[:11], _INN12_WEIGHTS_12) == int(value[11]))
    return False


def ogrn_is_valid(value: str) -> bool:
    if not value.isascii() or not value.isdigit():
        return False
    if len(value) == 13:
        return int(value[:12]) % 11 % 10 == int(value[12])
    if len(value) == 15:
        return int(value[:14]) % 13 % 10 == int(value[14])
    return False


def _account_key_ok(prefix: str, account: str) -> bool:
    """The control key of a Russian bank account: 23 digits weighted 7 1 3 … sum to a multiple of 10."""
    digits = prefix + account
    return sum(int(d) * (7, 1, 3)[i % 3] % 10 for i, d in enumerate(digits)) % 10 == 0


def settlement_account_is_valid(account: str, bik: str) -> bool:
    return _digits(account, 20) and _digits(bik, 9) and _account_key_ok(bik[-3:], account)


def correspondent_account_is_valid(account: str, bik: str) -> bool:
    return _digits(account, 20) and _digits(bik, 9) and _account_key_ok("0" + bik[4:6], account)


def _digits(value: str, length: int) -> bool:
    return len(value) == length and value.isascii() and value.isdigit()


# --- field validators: the format of one value ----------------------------------------------------

def validate_inn(value: str) -> None:
    if not value.isascii() or not value.isdigit() or len(value) not in (10, 12):
        raise ValidationError(_("An INN is 10 digits (an organisation) or 12 digits (an individual)."),
                              code="invalid")
    if not inn_is_valid(value):
        raise ValidationError(_("This INN has a wrong check digit: check it against the registration documents."),
                              code="check_digit")


def validate_kpp(value: str) -> None:
    if not _KPP.match(value):
        raise ValidationError(_("A KPP is 9 characters: 4 digits, 2 digits or capital Latin letters, 3 digits."),
                              code="invalid")


def validate_ogrn(value: str) -> None:
    if not value.isascii() or not value.isdigit() or len(value) not in (13, 15):
        raise ValidationError(_("An OGRN is 13 digits (an organisation) or 15 digits (OGRNIP, an individual "
                                "entrepreneur)."), code="invalid")
    if not ogrn_is_valid(value):
        raise ValidationError(_("This OGRN has a wrong check digit."), code="check_digit")


def validate_bik(value: str) -> None:
    if not _digits(value, 9):
        raise ValidationError(_("A BIK is 9 digits."), code="invalid")


def validate_account_number(value: str) -> None:
    if not _digits(value, 20):
        raise ValidationError(_("A bank account number is 20 digits."), code="invalid")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LegalDetails(models.Model):
    """The legal details an invoice, an act and the accounting export print. Abstract."""

    inn = models.CharField(_("INN"), max_length=12, blank=True, validators=[validate_inn],
                           help_text=_("10 digits for an organisation, 12 for an individual entrepreneur."))
    kpp = models.CharField(_("KPP"), max_length=9, blank=True, validators=[validate_kpp],
                           help_text=_("Organisations only."))
    ogrn = models.CharField(_("OGRN"), max_length=15, blank=True, validators=[validate_ogrn],
                            help_text=_("13 digits (OGRN) or 15 digits (OGRNIP)."))
    legal_address = models.TextField(_("legal address"), blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    bik = models.CharField(_("BIK"), max_length=9, blank=True, validators=[validate_bik])
    settlement_account = models.CharField(_("settlement account"), max_length=20, blank=True,
                                          validators=[validate_account_number])
    correspondent_account = models.CharField(_("correspondent account"), max_length=20, blank=True,
                                             validators=[validate_account_number])

    class Meta:
        abstract = True

    @property
    def is_individual(self) -> bool:
        """An individual entrepreneur (12-digit ИНН) rather than a legal entity."""
        return len(self.inn or "") == 12

    def clean(self):
        super().clean()
        for name in LEGAL_FIELDS:
            setattr(self, name, _strip(getattr(self, name)))
        self.kpp = (self.kpp or "").upper()
        errors = legal_details_errors({name: getattr(self, name) for name in LEGAL_FIELDS})
        if errors:
            raise ValidationError(errors)


def legal_details_errors(values: dict) -> dict:
    """The cross-field errors of a set of legal details (each field's own format is its validator's);
    {field: message}. A field whose own format is wrong is left to its validator."""
    errors = {}
    inn, kpp, ogrn = values.get("inn") or "", values.get("kpp") or "", values.get("ogrn") or ""
    bik = values.get("bik") or ""
    if inn_is_valid(inn) and len(inn) == 12 and kpp:
        errors["kpp"] = _("An individual entrepreneur (12-digit INN) has no KPP.")
    if inn_is_valid(inn) and ogrn_is_valid(ogrn) and len(ogrn) != {10: 13, 12: 15}[len(inn)]:
        errors["ogrn"] = (_("An organisation's OGRN is 13 digits.") if len(inn) == 10
                          else _("An individual entrepreneur's OGRNIP is 15 digits."))
    for field, check in (("settlement_account", settlement_account_is_valid),
                         ("correspondent_account", correspondent_account_is_valid)):
        account = values.get(field) or ""
        if not _digits(account, 20):
            continue
        if not bik:
            errors[field] = _("Give the bank's BIK: the account is checked with it.")
        elif _digits(bik, 9) and not check(account, bik):
            errors[field] = _("This account does not match the BIK (wrong control key): check both.")
    if (values.get("settlement_account") or values.get("correspondent_account")) and not bik and "bik" not in errors:
        errors.setdefault("bik", _("Give the bank's BIK with the account."))
    return errors


# --- printing ------------------------------------------------------------------------------------

LABELS = {
    "ru": {"inn": "ИНН", "kpp": "КПП", "ogrn": "ОГРН", "ogrnip": "ОГРНИП", "account": "р/с", "in": "в",
           "bik": "БИК", "corr": "к/с", "tax_id": "ИНН"},
    "en": {"inn": "INN", "kpp": "KPP", "ogrn": "OGRN", "ogrnip": "OGRNIP", "account": "account", "in": "with",
           "bik": "BIK", "corr": "corr. account", "tax_id": "tax ID"},
}


def details_text(organisation, language: str = "ru") -> str:
    """One line of an organisation's details for a printed document, in `language` (ru or en):
    "ИНН …, КПП …, ОГРН …, <legal address>; р/с … в <bank>, БИК …, к/с …". An organisation with no
    ИНН but a `tax_id` (a foreign one) prints that, and its address if it has no legal address."""
    if organisation is None:
        return ""
    labels = LABELS.get(language, LABELS["ru"])
    text = ", ".join(_registration_parts(organisation, labels))
    bank = _bank_parts(organisation, labels)
    if bank:
        text = f"{text}; {', '.join(bank)}" if text else ", ".join(bank)
    return text


def _registration_parts(organisation, labels: dict[str, str]) -> list[str]:
    """ИНН (or a foreign tax ID), КПП, ОГРН or ОГРНИП, and the address, those the organisation has."""
    parts = []
    inn = getattr(organisation, "inn", "")
    if inn:
        parts.append(f"{labels['inn']} {inn}")
    elif getattr(organisation, "tax_id", ""):
        parts.append(f"{labels['tax_id']} {organisation.tax_id}")
    if getattr(organisation, "kpp", ""):
        parts.append(f"{labels['kpp']} {organisation.kpp}")
    ogrn = getattr(organisation, "ogrn", "")
    if ogrn:
        parts.append(f"{labels['ogrnip'] if len(ogrn) == 15 else labels['ogrn']} {ogrn}")
    address = getattr(organisation, "legal_address", "") or getattr(organisation, "address", "")
    if address:
        parts.append(" ".join(address.split()))
    return parts


def _bank_parts(organisation, labels: dict[str, str]) -> list[str]:
    """The account with its bank, БИК and correspondent account, those the organisation has."""
    bank = []
    if getattr(organisation, "settlement_account", ""):
        account = f"{labels['account']} {organisation.settlement_account}"
        if getattr(organisation, "bank_name", ""):
            account += f" {labels['in']} {organisation.bank_name}"
        bank.append(account)
    elif getattr(organisation, "bank_name", ""):
        bank.append(organisation.bank_name)
    if getattr(organisation, "bik", ""):
        bank.append(f"{labels['bik']} {organisation.bik}")
    if getattr(organisation, "correspondent_account", ""):
        bank.append(f"{labels['corr']} {organisation.correspondent_account}")
    return bank


def has_legal_details(organisation) -> bool:
    return bool(organisation is not None and getattr(organisation, "inn", ""))


def supplier_of(contract):
    """Whose details a contract's documents print as the supplier: the provider that signs it, or,
    when that is the tenant's own organisation and has no ИНН of its own, the tenant's."""
    provider = contract.provider
    if provider.is_own and not provider.inn and provider.tenant.inn:
        return provider.tenant
    return provider
