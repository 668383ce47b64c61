"""Import of clients, contracts and contract roles from a CSV or XLSX file (issue 13).

Two steps, one pipeline:

1. `read_file(name, data)` turns the bytes into tables of raw text cells (one per CSV file, one per
   non-empty XLSX sheet), refusing what is not a CSV/XLSX, is too big, or is not UTF-8 (with or
   without BOM) or Windows-1251. The tables are plain JSON, so the page keeps them server-side
   between the preview and the confirm, and a confirm imports exactly what was previewed.
2. `run_import(tables=..., actor=..., dry_run=...)` parses every row (dates, money, headers in
   English or Russian), checks the rows against each other and the database, then writes every row
   through the contracts services inside one transaction, each row in a savepoint, so validation,
   events and numbering rules apply. A dry run, or a run with any bad row, rolls everything back:
   nothing is half-saved.

A table's kind is its sheet's name (Clients / Клиенты, Contracts / Договоры, Roles / Роли), or else
read from its headers: a "role" column makes it roles, a "number" or "title" column contracts, the
rest clients. The same file may hold clients and the contracts naming them (an XLSX sheet each).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from tenancy.bounds import validate_date_in_range
from tenancy.errors import DomainError
from tenancy.roles import CONTRACT_MANAGERS, has_role
from tenancy.selectors import tenant_members

from . import services
from .models import CURRENCIES, Client, Contract, ContractRole, ContractRoleKind, Provider

MAX_BYTES = 5 * 1024 * 1024  # an upload
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # an XLSX unzipped: a zip bomb stops here
MAX_ROWS = 5000  # data rows of a file, all tables together
MAX_COLUMNS = 60
VIA = "import"


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message says why, for the user."""


# --- columns ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    key: str
    label: object  # lazy: the English header, translated on the help page
    aliases: tuple[str, ...]  # every header accepted, English and Russian, compared normalised
    required: bool = False
    kind: str = "text"  # text | date | money | currency | role | user
    example: str = ""


def _col(key, label, *aliases, required=False, kind="text", example=""):
    return Column(key, label, (key, *aliases), required, kind, example)


CLIENT_COLUMNS = (
    _col("name", pgettext_lazy("import column", "Name"), "name", "название", "наименование", "клиент", "client",
         required=True, example="Romashka"),
    _col("legal_name", pgettext_lazy("import column", "Legal name"), "полное наименование", "юридическое название",
         "юридическое наименование", example="ООО «Ромашка»"),
    _col("inn", pgettext_lazy("import column", "INN"), "инн", example="7707083893"),
    _col("kpp", pgettext_lazy("import column", "KPP"), "кпп", example="773601001"),
    _col("ogrn", pgettext_lazy("import column", "OGRN"), "огрн", "огрнип", example="1027700132195"),
    _col("tax_id", pgettext_lazy("import column", "Tax ID"), "foreign tax id", "иностранный налоговый номер"),
    _col("email", pgettext_lazy("import column", "Email"), "e-mail", "почта", "электронная почта", example="office@romashka.ru"),
    _col("phone", pgettext_lazy("import column", "Phone"), "телефон", example="+7 495 123-45-67"),
    _col("address", pgettext_lazy("import column", "Address"), "адрес", "почтовый адрес"),
    _col("legal_address", pgettext_lazy("import column", "Legal address"), "юридический адрес"),
    _col("bank_name", pgettext_lazy("import column", "Bank"), "bank name", "банк"),
    _col("bik", pgettext_lazy("import column", "BIK"), "бик"),
    _col("settlement_account", pgettext_lazy("import column", "Settlement account"), "расчётный счёт", "расчетный счет", "р/с"),
    _col("correspondent_account", pgettext_lazy("import column", "Correspondent account"), "корреспондентский счёт",
         "корреспондентский счет", "к/с"),
)
CONTRACT_COLUMNS = (
    _col("number", pgettext_lazy("import column", "Number"), "contract number", "номер", "номер договора",
         required=True, example="SC-2026-001"),
    _col("title", pgettext_lazy("import column", "Title"), "subject", "предмет", "предмет договора",
         "наименование договора",
         required=True, example="IT support"),
    _col("client", pgettext_lazy("import column", "Client"), "клиент", "заказчик", required=True, example="Romashka"),
    _col("provider", pgettext_lazy("import column", "Provider"), "исполнитель", "поставщик"),
    _col("start_date", pgettext_lazy("import column", "Start date"), "дата начала", "начало", kind="date", example="01.02.2026"),
    _col("end_date", pgettext_lazy("import column", "End date"), "дата окончания", "окончание", kind="date", example="2027-01-31"),
    _col("currency", pgettext_lazy("import column", "Currency"), "валюта", kind="currency", example="RUB"),
    _col("monthly_fee", pgettext_lazy("import column", "Monthly fee"), "fee", "ежемесячная плата", "абонентская плата",
         "сумма в месяц", kind="money", example="120000,50"),
    _col("description", pgettext_lazy("import column", "Description"), "описание", "примечание"),
)
ROLE_COLUMNS = (
    _col("contract", pgettext_lazy("import column", "Contract"), "contract number", "договор", "номер договора",
         required=True, example="SC-2026-001"),
    _col("role", pgettext_lazy("import column", "Role"), "роль", required=True, kind="role", example="account_manager"),
    _col("user", pgettext_lazy("import column", "User"), "username", "email", "login", "пользователь", "логин", "почта",
         required=True, kind="user", example="ivanova"),
)
KINDS = {"clients": CLIENT_COLUMNS, "contracts": CONTRACT_COLUMNS, "roles": ROLE_COLUMNS}
KIND_LABELS = {"clients": gettext_lazy("Clients"), "contracts": gettext_lazy("Contracts"),
               "roles": gettext_lazy("Contract roles")}
SHEET_NAMES = {
    "clients": ("clients", "клиенты"), "contracts": ("contracts", "договоры", "договора"),
    "roles": ("roles", "contract roles", "роли", "роли по договорам"),
}
ORDER = ("clients", "contracts", "roles")


def normalise(header) -> str:
    text = str(header or "").replace("\ufeff", "").replace("*", "").replace("ё", "е").replace("Ё", "Е")
    return re.sub(r"[\s_]+", " ", text).strip().lower()


def _aliases(column: Column) -> set[str]:
    names = {normalise(a) for a in column.aliases}
    with translation.override("ru"):
        names.add(normalise(str(column.label)))
    with translation.override("en"):
        names.add(normalise(str(column.label)))
    return names


def detect_kind(sheet: str, headers: list[str]) -> str:
    name = normalise(sheet)
    for kind, names in SHEET_NAMES.items():
        if name in names:
            return kind
    found = {normalise(h) for h in headers}
    if found & _aliases(ROLE_COLUMNS[1]):
        return "roles"
    if found & (_aliases(CONTRACT_COLUMNS[0]) | _aliases(CONTRACT_COLUMNS[1])):
        return "contracts"
    return "clients"


# --- reading a file -----------------------------------------------------------------------------

_MAGIC = {b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF", b"%PDF": "PDF",
          b"\xd0\xcf\x11\xe0": "XLS (Excel 97-2003)", b"Rar!": "RAR", b"\x1f\x8b": "GZIP"}


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_file(name: str, data: bytes) -> list[dict]:
    """The file's tables: [{"sheet", "kind", "headers", "rows": [[row number, [cells]]]}]."""
    if not data or not data.strip():
        raise ImportFileError(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than %(size)s MB; split it into several files.")
                              % {"size": MAX_BYTES // (1024 * 1024)})
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise ImportFileError(_("This is a %(format)s file, not CSV or XLSX. Save the table as CSV or XLSX.")
                                  % {"format": what})
    if data.startswith(b"PK\x03\x04"):
        tables = _read_xlsx(data)
    elif name.lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError(_("This file is not a valid XLSX workbook."))
    else:
        tables = [_read_csv(data)]
    tables = [t for t in tables if t["headers"]]
    if not tables or not any(t["rows"] for t in tables):
        raise ImportFileError(_("The file has no rows to import: the first row holds the headers, "
                                "the rows below it the data."))
    if sum(len(t["rows"]) for t in tables) > MAX_ROWS:
        raise ImportFileError(_("The file has more than %(rows)s rows; split it into several files.")
                              % {"rows": MAX_ROWS})
    return tables


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise ImportFileError(_("The file's encoding is not supported (it looks like UTF-16 or a binary "
                                "file). Save it as CSV in UTF-8 or Windows-1251."))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("The file is neither UTF-8 nor Windows-1251 text (an undecodable byte at "
                                "position %(position)s). Save it as CSV in UTF-8.") % {"position": exc.start}) from exc
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
        raise ImportFileError(_("The file is neither UTF-8 nor Windows-1251 text. Save it as CSV in UTF-8."))
    return text


def _read_csv(data: bytes) -> dict:
    text = _decode(data)
    first = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ("\t" if first.count("\t") > first.count(",") else ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[str] = []
    rows = []
    try:
        for cells in reader:
            if len(cells) > MAX_COLUMNS:
                raise ImportFileError(_("A row has more than %(columns)s columns.") % {"columns": MAX_COLUMNS})
            cells = [c.strip() for c in cells]
            if not any(cells):
                continue
            if not headers:
                headers = cells
                continue
            rows.append([reader.line_num, cells])
            if len(rows) > MAX_ROWS:
                raise ImportFileError(_("The file has more than %(rows)s rows; split it into several files.")
                                      % {"rows": MAX_ROWS})
    except csv.Error as exc:
        raise ImportFileError(_("The file is not a readable CSV table (line %(line)s).")
                              % {"line": reader.line_num}) from exc
    return {"sheet": "", "kind": detect_kind("", headers), "headers": headers, "rows": rows}


def _xlsx_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    return str(value).strip()


def _read_xlsx(data: bytes) -> list[dict]:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise ImportFileError(_("The workbook unpacks to more than %(size)s MB; split it into several files.")
                                      % {"size": MAX_UNPACKED_BYTES // (1024 * 1024)})
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportFileError:
        raise
    except Exception as exc:  # a broken archive or workbook: openpyxl raises many kinds
        raise ImportFileError(_("This file is not a valid XLSX workbook.")) from exc
    tables = []
    total = 0
    try:
        for sheet in workbook.worksheets:
            headers: list[str] = []
            rows = []
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [_xlsx_cell(v) for v in values[:MAX_COLUMNS + 1]]
                if len(cells) > MAX_COLUMNS and cells[MAX_COLUMNS]:
                    raise ImportFileError(_("A row has more than %(columns)s columns.") % {"columns": MAX_COLUMNS})
                cells = cells[:MAX_COLUMNS]
                if not any(cells):
                    continue
                if not headers:
                    headers = cells
                    while headers and not headers[-1]:
                        headers.pop()
                    continue
                rows.append([number, cells[:len(headers)]])
                total += 1
                if total > MAX_ROWS:
                    raise ImportFileError(_("The file has more than %(rows)s rows; split it into several files.")
                                          % {"rows": MAX_ROWS})
            if headers:
                tables.append({"sheet": sheet.title, "kind": detect_kind(sheet.title, headers),
                               "headers": headers, "rows": rows})
    finally:
        workbook.close()
    tables.sort(key=lambda t: ORDER.index(t["kind"]))
    return tables


# --- parsing rows -------------------------------------------------------------------------------

@dataclass
class RowError:
    column: str
    message: str


@dataclass
class Row:
    kind: str
    sheet: str
    number: int
    values: dict
    errors: list[RowError] = field(default_factory=list)
    action: str = ""  # create | update | assign | unchanged
    summary: str = ""
    url: str = ""

    @property
    def title(self) -> str:
        """What the row is about, as the file names it: a client's name, a contract's number."""
        values = self.values
        if self.kind == "roles":
            return " · ".join(v for v in (values.get("contract"), values.get("user")) if v)
        return values.get("name") or values.get("number") or ""

    def error(self, column, message) -> None:
        self.errors.append(RowError(str(column), str(message)))


@dataclass
class TableProblem:
    sheet: str
    kind: str
    message: str


@dataclass
class ImportResult:
    rows: list[Row]
    problems: list[TableProblem]
    dry_run: bool

    @property
    def bad_rows(self) -> list[Row]:
        return [r for r in self.rows if r.errors]

    @property
    def ok(self) -> bool:
        return not self.problems and not self.bad_rows

    def count(self, kind: str, action: str) -> int:
        return sum(1 for r in self.rows if r.kind == kind and r.action == action and not r.errors)


def parse_date(text: str) -> dt.date:
    for pattern, fmt in ((r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d"), (r"\d{2}\.\d{2}\.\d{4}", "%d.%m.%Y")):
        if re.fullmatch(pattern, text):
            try:
                value = dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time
            except ValueError:
                break
            validate_date_in_range(value)
            return value
    raise ValidationError(_("Write dates as YYYY-MM-DD or DD.MM.YYYY, e.g. 2026-03-31 or 31.03.2026."))


def parse_money(text: str) -> Decimal:
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text)
    if cleaned.count(",") + cleaned.count(".") > 1 or not re.fullmatch(r"\d+([.,]\d{1,2})?", cleaned):
        raise ValidationError(_("Write an amount as digits with “.” or “,” before at most two decimals, "
                                "e.g. 120000.50 or 120 000,50."))
    return Decimal(cleaned.replace(",", "."))


def _role_names() -> dict[str, str]:
    names = {}
    for choice in ContractRoleKind:
        names[normalise(choice.value)] = choice.value
        for language in ("en", "ru"):
            with translation.override(language):
                names[normalise(str(choice.label))] = choice.value
    return names


def _header_map(table: dict, columns) -> tuple[dict[str, int], list[str], list[str]]:
    """{column key: cell index}, the required columns missing, the headers not understood."""
    index: dict[str, int] = {}
    unknown, duplicated = [], []
    lookups = {key: names for key, names in ((c.key, _aliases(c)) for c in columns)}
    for position, header in enumerate(table["headers"]):
        norm = normalise(header)
        if not norm:
            continue
        key = next((k for k, names in lookups.items() if norm in names), None)
        if key is None:
            unknown.append(header)
        elif key in index:
            duplicated.append(header)
        else:
            index[key] = position
    missing = [str(c.label) for c in columns if c.required and c.key not in index]
    return index, missing, unknown + duplicated


def _parse_rows(tables: list[dict]) -> tuple[list[Row], list[TableProblem]]:
    rows: list[Row] = []
    problems: list[TableProblem] = []
    vocabulary = {"roles": _role_names(), "currencies": {code for code, _label in CURRENCIES}}
    for table in sorted(tables, key=lambda t: ORDER.index(t["kind"])):
        columns = KINDS[table["kind"]]
        index, missing, unknown = _header_map(table, columns)
        problem = _header_problem(table, missing, unknown)
        if problem is not None:
            problems.append(problem)
            continue
        rows.extend(_parse_row(table, columns, index, number, cells, **vocabulary)
                    for number, cells in table["rows"])
    return rows, problems


def _header_problem(table: dict, missing: list[str], unknown: list[str]) -> TableProblem | None:
    """Why a table's header row stops its rows from being read, or None when it does not."""
    if missing:
        return TableProblem(table["sheet"], table["kind"], _("Required columns are missing: %(columns)s.")
                            % {"columns": ", ".join(missing)})
    if unknown:
        return TableProblem(table["sheet"], table["kind"], _("Columns not understood: %(columns)s. Rename "
                                                             "them as the template names them or remove them.")
                            % {"columns": ", ".join(unknown)})
    return None


def _parse_row(table: dict, columns, index: dict, number: int, cells: list, *, roles, currencies) -> Row:
    """One data row: its typed values, and an error for each cell that is missing or unreadable."""
    row = Row(kind=table["kind"], sheet=table["sheet"], number=number, values={})
    for column in columns:
        if column.key not in index:
            continue
        position = index[column.key]
        text = cells[position].strip() if position < len(cells) else ""
        if not text:
            if column.required:
                row.error(column.label, _("This column is required."))
            continue
        try:
            row.values[column.key] = _cell_value(column, text, roles=roles, currencies=currencies)
        except ValidationError as exc:
            row.error(column.label, exc.messages[0])
    return row


def _cell_value(column: Column, text: str, *, roles: dict[str, str], currencies: set[str]):
    """The value of a non-empty cell as its column's kind reads it; a ValidationError says why not."""
    if column.kind == "date":
        return parse_date(text)
    if column.kind == "money":
        return parse_money(text)
    if column.kind == "currency":
        value = text.upper()
        if value not in currencies:
            raise ValidationError(_("Unknown currency “%(code)s”; use one of %(codes)s.")
                                  % {"code": text, "codes": ", ".join(sorted(currencies))})
        return value
    if column.kind == "role":
        value = roles.get(normalise(text))
        if value is None:
            raise ValidationError(_("Unknown role “%(role)s”; use one of %(roles)s.")
                                  % {"role": text, "roles": ", ".join(ContractRoleKind.values)})
        return value
    return text


# --- checks across rows and against the database ------------------------------------------------

def _label(kind: str, key: str):
    return next(c.label for c in KINDS[kind] if c.key == key)


@dataclass
class _Seen:
    """What the database holds and the rows checked so far named, for `_cross_check`."""

    existing_numbers: set[str]
    existing_clients: set[str]
    inn_owners: dict[str, str]
    clients: dict[str, Row] = field(default_factory=dict)  # by casefolded name
    numbers: dict[str, Row] = field(default_factory=dict)  # by casefolded contract number
    roles: set[tuple] = field(default_factory=set)  # (contract number, role, casefolded user)


def _cross_check(rows: list[Row]) -> None:
    seen = _Seen(existing_numbers=set(Contract.objects.values_list("number", flat=True)),
                 existing_clients=set(Client.objects.values_list("name", flat=True)),
                 inn_owners=dict(Client.objects.exclude(inn="").values_list("inn", "name")))
    checks = {"clients": _check_client_row, "contracts": _check_contract_row, "roles": _check_role_row}
    for row in rows:
        if not row.errors:
            checks[row.kind](row, seen)


def _check_client_row(row: Row, seen: _Seen) -> None:
    name = row.values["name"]
    if (first := seen.clients.get(name.casefold())) is not None:
        row.error(_label("clients", "name"), _("The client “%(name)s” is already in row %(row)s of this file.")
                  % {"name": name, "row": first.number})
    else:
        seen.clients[name.casefold()] = row
    inn = row.values.get("inn", "")
    if inn and seen.inn_owners.setdefault(inn, name) != name:
        row.error(_label("clients", "inn"), _("The INN %(inn)s already belongs to the client “%(name)s”.")
                  % {"inn": inn, "name": seen.inn_owners[inn]})


def _check_contract_row(row: Row, seen: _Seen) -> None:
    number = row.values["number"]
    if (first := seen.numbers.get(number.casefold())) is not None:
        row.error(_label("contracts", "number"), _("The number %(number)s is already in row %(row)s of this "
                                                   "file.") % {"number": number, "row": first.number})
    elif number in seen.existing_numbers:
        row.error(_label("contracts", "number"), _("A contract numbered %(number)s already exists.")
                  % {"number": number})
    else:
        seen.numbers[number.casefold()] = row
    client = row.values.get("client", "")
    client_row = seen.clients.get(client.casefold())
    if client_row is None and client not in seen.existing_clients:
        row.error(_label("contracts", "client"), _("Unknown client “%(name)s”: it is neither among your "
                                                   "clients nor in this file.") % {"name": client})
    elif client_row is not None and client_row.errors:
        row.error(_label("contracts", "client"), _("The client's row %(row)s has errors.")
                  % {"row": client_row.number})


def _check_role_row(row: Row, seen: _Seen) -> None:
    number = row.values["contract"]
    key = (number, row.values["role"], row.values["user"].casefold())
    contract_row = seen.numbers.get(number.casefold())
    if key in seen.roles:
        row.error(_label("roles", "user"), _("The same role is already given in this file."))
    elif contract_row is None and number not in seen.existing_numbers:
        row.error(_label("roles", "contract"), _("Unknown contract %(number)s: it is neither among your "
                                                 "contracts nor in this file.") % {"number": number})
    elif contract_row is not None and contract_row.errors:
        row.error(_label("roles", "contract"), _("The contract's row %(row)s has errors.")
                  % {"row": contract_row.number})
    seen.roles.add(key)


# --- writing through the services -----------------------------------------------------------------

def _field_column(kind: str, name: str | None):
    keys = {c.key: c.label for c in KINDS[kind]}
    if name in keys:
        return keys[name]
    if kind == "roles" and name == "user":
        return keys["user"]
    return name or "—"


def _user_by_name(text: str):
    members = tenant_members()
    membership = (members.filter(user__username__iexact=text).first()
                  or (members.filter(user__email__iexact=text).first() if "@" in text else None))
    return membership.user if membership else None


def _apply_row(row: Row, *, actor, made: dict):
    from django.urls import reverse

    values = row.values
    if row.kind == "clients":
        client = Client.objects.filter(name=values["name"]).first()
        if client is None:
            client = services.client_create(actor=actor, **values)
            row.action, row.summary = "create", _("New client “%(name)s”") % {"name": client.name}
        else:
            client = services.client_update(client=client, actor=actor, **values)
            row.action, row.summary = "update", _("Update client “%(name)s”") % {"name": client.name}
        made["clients"][client.name] = client
        row.url = reverse("contracts:client-detail", args=[client.pk])
    elif row.kind == "contracts":
        client = made["clients"].get(values["client"]) or Client.objects.filter(name=values["client"]).first()
        if client is None:
            raise DomainError(_("Unknown client “%(name)s”.") % {"name": values["client"]}, field="client")
        if "provider" in values:
            provider = Provider.objects.filter(name=values["provider"]).first()
            if provider is None:
                raise DomainError(_("Unknown provider “%(name)s”.") % {"name": values["provider"]}, field="provider")
        else:
            provider = Provider.objects.filter(is_own=True).order_by("pk").first()
            if provider is None:
                raise DomainError(_("Name the provider: your organisation has no own provider yet."),
                                  field="provider")
        terms = {k: v for k, v in values.items() if k not in ("client", "provider")}
        contract = services.contract_create(actor=actor, via=VIA, client=client, provider=provider, **terms)
        made["contracts"][contract.number] = contract
        row.action = "create"
        row.summary = _("New draft contract %(number)s “%(title)s” with %(client)s") % {
            "number": contract.number, "title": contract.title, "client": client.name}
        row.url = reverse("contracts:contract-detail", args=[contract.pk])
    else:
        contract = made["contracts"].get(values["contract"]) or Contract.objects.filter(
            number=values["contract"]).first()
        if contract is None:
            raise DomainError(_("Unknown contract %(number)s.") % {"number": values["contract"]}, field="contract")
        user = _user_by_name(values["user"])
        if user is None:
            raise DomainError(_("No member of your organisation has the username or email “%(user)s”.")
                              % {"user": values["user"]}, field="user")
        role_label = ContractRoleKind(values["role"]).label
        name = user.get_full_name() or user.get_username()
        row.url = reverse("contracts:contract-detail", args=[contract.pk])
        if ContractRole.objects.filter(contract=contract, role=values["role"], user=user).exists():
            row.action = "unchanged"
            row.summary = _("%(user)s is already %(role)s on %(number)s") % {
                "user": name, "role": role_label, "number": contract.number}
            return
        services.contract_role_assign(contract=contract, actor=actor, role=values["role"], user=user, via=VIA)
        row.action = "assign"
        row.summary = _("%(user)s becomes %(role)s on %(number)s") % {
            "user": name, "role": role_label, "number": contract.number}


def run_import(*, tables: list[dict], actor, dry_run: bool) -> ImportResult:
    """Check every row and write them all (or, for a dry run or any bad row, none)."""
    if actor is not None and not has_role(actor, CONTRACT_MANAGERS):
        raise DomainError(_("Only an administrator or an account manager may do this."), code="forbidden")
    rows, problems = _parse_rows(tables)
    _cross_check(rows)
    made: dict = {"clients": {}, "contracts": {}}
    with transaction.atomic():
        for row in rows:
            if row.errors:
                continue
            try:
                with transaction.atomic():
                    _apply_row(row, actor=actor, made=made)
            except DomainError as error:
                field_errors = getattr(error, "field_errors", None) or {error.field: [str(error)]}
                for name, messages in field_errors.items():
                    for message in messages:
                        row.error(_field_column(row.kind, name), message)
        result = ImportResult(rows=rows, problems=problems, dry_run=dry_run)
        if dry_run or not result.ok:
            transaction.set_rollback(True)
    return result


# --- templates ----------------------------------------------------------------------------------

def template_csv(kind: str) -> bytes:
    columns = KINDS[kind]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([str(c.label) for c in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for kind in ORDER:
        sheet = workbook.create_sheet(str(KIND_LABELS[kind])[:31])
        sheet.append([str(c.label) for c in KINDS[kind]])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in sheet.columns:
            sheet.column_dimensions[column[0].column_letter].width = 22
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
