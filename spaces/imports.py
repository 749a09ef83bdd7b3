"""The inventory import: a commune's spreadsheet of buildings and rooms read into sites and spaces.

Three steps, each testable alone:

* `inventory_read(file)` turns the bytes into rows of text (CSV or XLSX, sniffed from the
  content, not from the name). No database. A file that is not one of them, too big, in an
  encoding we cannot read, or an XLSX whose parts unzip to absurd sizes raises `ImportRefused`
  with a French message; nothing is evaluated (a cell "=SUM(A1)" is the text "=SUM(A1)").
* `inventory_plan(actor, table)` reads the base in a fixed number of queries (communes, the
  sites of the file's communes, their spaces, the spaces with the file's identifiers, the
  sites the actor manages) and says, line by line, what would be created, updated, left
  unchanged or refused, and why. No write.
* `spaces.services.inventory_import` checks the actor, runs both and, if no line is refused,
  writes the plan with bulk inserts and updates in one transaction (all or nothing).

The columns are the template's (`COLUMNS`, French names, the downloadable template and the
export use them), or the SCDL "équipements" names (`SCDL_ALIASES`): see docs/decisions.md,
"Issue 15 — import".
"""

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.selectors import AnyUser, organisations_of, user_is_territory_admin
from spaces.models import Commune, ErpCategory, ErpType, Site, Space, SpaceKind
from spaces.selectors import communes_in_territory, sites_manageable_by

# 10 MB holds ~60,000 lines of the template; it stays under the upload limit of the web pages
# (UPLOAD_BODY_MAX_BYTES, 12 MB), so the command and the page refuse the same files.
MAX_FILE_BYTES = 10 * 1024 * 1024
# The page keeps the file of a dry run here, in the private storage, until it is confirmed;
# services.import_files_sweep deletes those never confirmed after IMPORT_FILES_KEPT_FOR.
IMPORT_FILES_DIR = "imports"
IMPORT_FILES_KEPT_FOR = timedelta(hours=24)
MAX_LINES = 50_000
# An XLSX is a zip: its parts unzipped may not exceed this (a "zip bomb" of a few kB unzips to
# gigabytes), nor hold more parts than a workbook has.
MAX_XLSX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_XLSX_PARTS = 1_000
MAX_CELL_CHARS = 1_000

# The template's columns, in order: the site's (repeated on each of its spaces' lines), then the
# space's. Only `code_insee`, `site`, `voie`, `code_postal`, `espace`, `surface_m2` and
# `capacite` are required; a column left out of a file leaves that field as it is.
COLUMNS: list[str] = [
    "identifiant",
    "code_insee",
    "site",
    "numero",
    "suffixe",
    "voie",
    "complement_adresse",
    "code_postal",
    "latitude",
    "longitude",
    "erp_types",
    "erp_categorie",
    "espace",
    "type_espace",
    "etage",
    "surface_m2",
    "capacite",
    "loyer_reference",
]
EXAMPLE_LINE: list[str] = [
    "SAL-001",
    "59172",
    "Maison des associations",
    "12",
    "bis",
    "rue Jean-Jaurès",
    "Bâtiment B",
    "59220",
    "50.328900",
    "3.395600",
    "L, W",
    "5",
    "Salle polyvalente",
    "hall",
    "0",
    "120.5",
    "80",
    "45.00",
]
# SCDL "équipements" (OpenDataFrance, v0.1.5; DOMAIN.md §5.1) names of the same data. The
# schema has no INSEE code column: it is read from ADR_CLE_INTEROP (its first five characters)
# when no code_insee column is given. An equipment is one line: its EQUIP_NOM names the site,
# and the space too when the file has no `espace` column.
SCDL_ALIASES: dict[str, str] = {
    "EQUIP_UID": "identifiant",
    "EQUIP_NOM": "site",
    "ADR_NUMERO": "numero",
    "ADR_NOMVOIE": "voie",
    "ADR_CODEPOSTAL": "code_postal",
    "EQUIP_LAT": "latitude",
    "EQUIP_LONG": "longitude",
    "ERP_TYPE": "erp_types",
    "ERP_CATEGORIE": "erp_categorie",
    "COLL_INSEE": "code_insee",
}
SCDL_INSEE_FROM = "ADR_CLE_INTEROP"
REQUIRED = ["code_insee", "site", "voie", "code_postal", "espace", "surface_m2", "capacite"]

SITE_FIELDS = {
    "numero": "street_number",
    "suffixe": "street_number_suffix",
    "voie": "street_name",
    "complement_adresse": "address_complement",
    "code_postal": "postcode",
    "latitude": "latitude",
    "longitude": "longitude",
    "erp_types": "erp_types",
    "erp_categorie": "erp_category",
}
SPACE_FIELDS = {
    "identifiant": "inventory_id",
    "type_espace": "kind",
    "etage": "floor",
    "surface_m2": "surface_m2",
    "capacite": "capacity",
    "loyer_reference": "reference_rent",
}


class ImportRefused(Exception):
    """The whole file is refused (not CSV/XLSX, too big, unreadable): `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


OUTCOME_LABELS = {
    Outcome.CREATED: gettext_lazy("To create"),
    Outcome.UPDATED: gettext_lazy("To update"),
    Outcome.UNCHANGED: gettext_lazy("Unchanged"),
    Outcome.REFUSED: gettext_lazy("Refused"),
}


@dataclass
class Table:
    """The rows of a file as text, keyed by the template's column names."""

    columns: set[str]
    rows: list[dict[str, str]]
    encoding: str = "utf-8"
    notes: list[str] = field(default_factory=list)


@dataclass
class Line:
    """What the import does with one line of the file (numbered as a spreadsheet shows it)."""

    number: int
    site: str
    space: str
    commune: str
    outcome: str = Outcome.UNCHANGED
    reasons: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)

    def refuse(self, reason: str) -> None:
        self.outcome = Outcome.REFUSED
        self.reasons.append(reason)

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS[self.outcome])


@dataclass
class Plan:
    lines: list[Line]
    sites_to_create: list[Site] = field(default_factory=list)
    sites_to_update: dict[int, Site] = field(default_factory=dict)
    site_fields: set[str] = field(default_factory=set)
    spaces_to_create: list[Space] = field(default_factory=list)
    spaces_to_update: dict[int, Space] = field(default_factory=dict)
    space_fields: set[str] = field(default_factory=set)
    encoding: str = "utf-8"
    notes: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def counts(self) -> dict[str, int]:
        return {
            outcome: self.count(outcome)
            for outcome in (Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED, Outcome.REFUSED)
        }

    @property
    def refused(self) -> bool:
        return self.count(Outcome.REFUSED) > 0


# --- Reading the file -----------------------------------------------------------------------


def _file_size(file: IO[bytes]) -> int:
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    position = file.tell()
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(position)
    return size


def _too_big() -> ImportRefused:
    return ImportRefused(
        _("The file is larger than %(size)s MB: split it into several files.")
        % {"size": MAX_FILE_BYTES // (1024 * 1024)}
    )


def inventory_read(file: IO[bytes]) -> Table:
    """Read a CSV or XLSX inventory, sniffed from its first bytes. Raises ImportRefused."""
    if _file_size(file) > MAX_FILE_BYTES:
        raise _too_big()  # refused from its size, before reading it
    file.seek(0)
    content = file.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise _too_big()
    if not content.strip():
        raise ImportRefused(_("The file is empty."))
    if content.startswith(b"PK\x03\x04"):
        return _read_xlsx(content)
    if content.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\xd0\xcf\x11\xe0")):
        raise ImportRefused(_not_csv_or_xlsx())
    return _read_csv(content)


def _not_csv_or_xlsx() -> str:
    return _(
        "This file is neither a CSV file nor an Excel workbook (.xlsx). Save your spreadsheet "
        "as CSV or XLSX, or start from the template."
    )


def _decode(content: bytes) -> tuple[str, str]:
    """The text and the encoding it was read in: UTF-8 (with or without BOM), UTF-16 with a BOM,
    else Windows-1252 (old Excel's "CSV (séparateur : point-virgule)", a superset of Latin-1 for
    French text). A byte that none of them reads is refused, not guessed."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    else:
        if b"\x00" in content[:8192]:
            raise ImportRefused(_not_csv_or_xlsx())
        try:
            return content.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            try:
                return content.decode("cp1252"), "windows-1252"
            except UnicodeDecodeError:
                pass
    raise ImportRefused(
        _(
            "The file's characters could not be read. Save it from your spreadsheet as "
            "“CSV UTF-8 (délimité par des virgules)” and import it again."
        )
    )


def _read_csv(content: bytes) -> Table:
    text, encoding = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    if first_line.count("\t") > max(first_line.count(";"), first_line.count(",")):
        delimiter = "\t"
    try:
        records = list(_limited(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)))
    except csv.Error as exc:
        raise ImportRefused(
            _("The file is not a readable CSV file (%(error)s).") % {"error": exc}
        ) from exc
    table = _table(records)
    table.encoding = encoding
    if encoding == "windows-1252":
        table.notes.append(
            _(
                "The file was not in UTF-8: it was read as Windows-1252 (old versions of Excel). "
                "Check the accents in the report below."
            )
        )
    return table


def _limited(records: Iterable[list[Any]]) -> Iterator[list[Any]]:
    for number, record in enumerate(records):
        if number > MAX_LINES:  # the header, then MAX_LINES lines
            raise ImportRefused(
                _("The file has more than %(count)s lines: split it into several files.")
                % {"count": MAX_LINES}
            )
        yield record


def _read_xlsx(content: bytes) -> Table:
    from openpyxl import load_workbook  # only where a workbook is read

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_XLSX_PARTS or (
                sum(part.file_size for part in parts) > MAX_XLSX_UNZIPPED_BYTES
            ):
                raise ImportRefused(_("This workbook unzips to an abnormal size: it was not read."))
            if "xl/workbook.xml" not in archive.namelist():
                raise ImportRefused(_not_csv_or_xlsx())
    except zipfile.BadZipFile as exc:
        raise ImportRefused(_not_csv_or_xlsx()) from exc
    try:
        # read_only streams the sheet; data_only=False keeps a formula as its text, never run.
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        try:
            sheet = workbook.worksheets[0]
            records = list(_limited(sheet.iter_rows(values_only=True)))
        finally:
            workbook.close()
    except ImportRefused:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise ImportRefused(
            _("The workbook could not be read: save it again from your spreadsheet as .xlsx.")
        ) from exc
    return _table(records)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _table(records: list[list[Any]]) -> Table:
    records = [record for record in records if any(_cell_text(cell).strip() for cell in record)]
    if not records:
        raise ImportRefused(_("The file is empty."))
    header = [_cell_text(cell).strip().lstrip("\ufeff") for cell in records[0]]
    names: list[str | None] = []
    for title in header:
        if title in SCDL_ALIASES:
            names.append(SCDL_ALIASES[title])
        elif title.lower() in COLUMNS:
            names.append(title.lower())
        elif title == SCDL_INSEE_FROM:
            names.append(SCDL_INSEE_FROM)
        else:
            names.append(None)  # a column we do not import (COLL_NOM, EQUIP_TEL…)
    known = {name for name in names if name}
    if SCDL_INSEE_FROM in known and "code_insee" not in known:
        known.add("code_insee")
    if "site" in known and "espace" not in known:
        known.add("espace")  # SCDL: one equipment, one space of the same name
    missing = [column for column in REQUIRED if column not in known]
    if missing:
        raise ImportRefused(
            _(
                "Columns are missing: %(columns)s. The first line must hold the column names of "
                "the template (or of the SCDL “équipements” schema)."
            )
            % {"columns": ", ".join(missing)}
        )
    rows = []
    for record in records[1:]:
        row: dict[str, str] = {}
        for name, cell in zip(names, record, strict=False):
            if name:
                row[name] = _clean(_cell_text(cell))
        if SCDL_INSEE_FROM in row:
            key = row.pop(SCDL_INSEE_FROM)
            row.setdefault("code_insee", key[:5].upper())
        if "espace" not in names:
            row["espace"] = row.get("site", "")
        rows.append(row)
    known.discard(SCDL_INSEE_FROM)
    return Table(columns=known, rows=rows)


def _clean(text: str) -> str:
    """A cell as the import reads it: surrounding spaces gone, and the apostrophe our exports put
    before a text that would start a formula taken off again (core.exports.text_cell)."""
    text = text.strip()
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]
    return text[: MAX_CELL_CHARS + 1]


# --- Values --------------------------------------------------------------------------------


class BadValue(Exception):
    pass


def _number(text: str) -> Decimal | None:
    if not text:
        return None
    spaced = re.sub(r"[\s\u00a0\u202f]", "", text).replace(",", ".")
    try:
        value = Decimal(spaced)
    except InvalidOperation as exc:
        raise BadValue from exc
    if not value.is_finite():
        raise BadValue
    return value


def _integer(text: str) -> int | None:
    value = _number(text)
    if value is None:
        return None
    if value != value.to_integral_value() or abs(value) > 10**12:
        raise BadValue
    return int(value)


_ERP_TYPES = frozenset(ErpType.values)
_ERP_CATEGORIES = frozenset(ErpCategory.values)


def _erp_types(text: str) -> list[str]:
    letters = [part.upper() for part in re.split(r"[\s,;/]+", text) if part]
    unknown = [letter for letter in letters if letter not in _ERP_TYPES]
    if unknown:
        raise BadValue(", ".join(unknown))
    return sorted(set(letters), key=letters.index)


def _kinds() -> dict[str, str]:
    """A kind of space as a file may spell it: its code, or its label in English or French."""
    kinds = {kind.value: kind.value for kind in SpaceKind}
    for kind in SpaceKind:
        kinds[str(kind.label).casefold()] = kind.value
        with translation.override("en"):
            kinds[str(kind.label).casefold()] = kind.value
    return kinds


def _kind(text: str, kinds: dict[str, str]) -> str:
    if not text:
        return SpaceKind.OTHER
    try:
        return kinds[text.casefold()]
    except KeyError as exc:
        raise BadValue(text) from exc


def key_of(name: str) -> str:
    """A name as the import compares it: case, accents' composition and spacing ignored."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _site_values(row: dict[str, str], columns: set[str], line: Line) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column, name in SITE_FIELDS.items():
        if column not in columns:
            continue
        text = row.get(column, "")
        try:
            if name == "street_number":
                values[name] = _integer(text)
            elif name in ("latitude", "longitude"):
                number = _number(text)
                values[name] = (
                    None
                    if number is None
                    else number.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
                    if abs(number) < 1000
                    else number
                )
            elif name == "erp_types":
                values[name] = _erp_types(text)
            elif name == "erp_category":
                category = _integer(text)
                if category is not None and category not in _ERP_CATEGORIES:
                    raise BadValue
                values[name] = category
            else:
                values[name] = text
        except BadValue as exc:
            line.refuse(_bad_value(column, text, exc))
    if ("latitude" in values) != ("longitude" in values) or (
        (values.get("latitude") is None) != (values.get("longitude") is None)
    ):
        line.refuse(_("Give both the latitude and the longitude, or neither."))
    return values


def _space_values(
    row: dict[str, str], columns: set[str], line: Line, kinds: dict[str, str]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column, name in SPACE_FIELDS.items():
        if column not in columns:
            continue
        text = row.get(column, "")
        try:
            if name == "kind":
                values[name] = _kind(text, kinds)
            elif name in ("floor", "capacity"):
                values[name] = _integer(text)
            elif name in ("surface_m2", "reference_rent"):
                number = _number(text)
                values[name] = (
                    number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                    if number is not None and abs(number) < 10**9
                    else number
                )
            else:
                values[name] = text
        except BadValue as exc:
            line.refuse(_bad_value(column, text, exc))
    if values.get("floor", 0) is None:
        values["floor"] = 0
    return values


def _bad_value(column: str, text: str, exc: BadValue) -> str:
    if column == "erp_types":
        return _("Unknown ERP type: %(value)s (one or more letters among %(letters)s).") % {
            "value": str(exc) or text,
            "letters": ", ".join(ErpType.values),
        }
    if column == "erp_categorie":
        return _("Unknown ERP category: %(value)s (1 to 5).") % {"value": text[:50]}
    if column == "type_espace":
        return _("Unknown kind of space: %(value)s.") % {"value": text[:50]}
    return _("Column %(column)s: “%(value)s” is not a number.") % {
        "column": column,
        "value": text[:50],
    }


# --- The plan ------------------------------------------------------------------------------


def communes_importable_by(user: AnyUser) -> QuerySet[Commune]:
    """Communes whose premises the user may import: every commune of the territory for the
    intercommunality, the communes the user works for otherwise (none for anyone else)."""
    territory = communes_in_territory()
    if user_is_territory_admin(user):
        return territory
    if not user.is_authenticated:
        return Commune.objects.none()
    return territory.filter(organisation__in=organisations_of(user).values("pk"))


def _errors_text(error: ValidationError, labels: dict[str, str]) -> list[str]:
    texts = []
    for name, messages in error.message_dict.items():
        label = labels.get(name, name)
        texts.extend(f"{label} : {message}" for message in messages)
    return texts


def _clean_exclusions(model: type[Site] | type[Space], imported: set[str]) -> list[str]:
    """The fields `full_clean` leaves alone: those the import never sets (defaults, relations)."""
    return [field.name for field in model._meta.fields if field.name not in imported]


MISSING = {
    "site": gettext_lazy("The name of the site is missing."),
    "espace": gettext_lazy("The name of the space is missing."),
    "voie": gettext_lazy("The street is missing."),
    "code_postal": gettext_lazy("The postcode is missing."),
    "surface_m2": gettext_lazy("The surface is missing."),
    "capacite": gettext_lazy("The capacity is missing."),
}

_SITE_LABELS = {model: column for column, model in SITE_FIELDS.items()} | {"name": "site"}
_SPACE_LABELS = {model: column for column, model in SPACE_FIELDS.items()} | {"name": "espace"}


def inventory_plan(
    *, actor: AnyUser, table: Table, progress: Callable[[int, int], object] | None = None
) -> Plan:
    """Say what importing `table` as `actor` would do, line by line; write nothing.

    Reads the base in a fixed number of queries whatever the number of lines; `progress(done,
    total)` is told after each line.
    """
    plan = Plan(lines=[], encoding=table.encoding, notes=list(table.notes))
    columns = table.columns
    codes = {row.get("code_insee", "").upper() for row in table.rows}
    communes = {commune.pk: commune for commune in Commune.objects.filter(pk__in=codes)}
    in_territory = set(communes_in_territory().filter(pk__in=codes).values_list("pk", flat=True))
    importable = set(
        communes_importable_by(actor).filter(pk__in=codes).values_list("pk", flat=True)
    )
    postcodes: dict[str, set[str]] = {}
    for code, postcode in Commune.postcodes.through.objects.filter(
        commune_id__in=communes
    ).values_list("commune_id", "postalcode_id"):
        postcodes.setdefault(code, set()).add(postcode)
    manageable = set(
        sites_manageable_by(actor).filter(commune_id__in=communes).values_list("pk", flat=True)
    )
    sites: dict[tuple[str, str], list[Site]] = {}
    for site in Site.objects.filter(commune_id__in=communes):
        sites.setdefault((site.commune_id, key_of(site.name)), []).append(site)
    spaces: dict[tuple[int, str], list[Space]] = {}
    spaces_by_pk: dict[int, Space] = {}
    ids = {row.get("identifiant", "") for row in table.rows} - {""}
    for space in Space.objects.filter(
        Q(site__commune_id__in=communes) | Q(inventory_id__in=ids)
    ).select_related("site"):
        spaces.setdefault((space.site_id, key_of(space.name)), []).append(space)
        spaces_by_pk[space.pk] = space
    by_inventory_id: dict[tuple[str, str], list[Space]] = {}
    for space in spaces_by_pk.values():
        if space.inventory_id:
            by_inventory_id.setdefault((space.site.commune_id, space.inventory_id), []).append(
                space
            )

    kinds = _kinds()
    site_clean_fields = _clean_exclusions(Site, {"name", *SITE_FIELDS.values()})
    space_clean_fields = _clean_exclusions(Space, {"name", *SPACE_FIELDS.values()})
    cleaned_sites: set[tuple[str, str]] = set()
    seen_ids: dict[tuple[str, str], int] = {}
    seen_names: dict[tuple[str, str, str], int] = {}
    site_lines: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    new_sites: dict[tuple[str, str], Site] = {}

    for index, row in enumerate(table.rows):
        if progress is not None:
            progress(index + 1, len(table.rows))
        number = index + 2  # the header is line 1
        code = row.get("code_insee", "").upper()
        site_name, space_name = row.get("site", ""), row.get("espace", "")
        line = Line(number=number, site=site_name[:200], space=space_name[:200], commune=code)
        plan.lines.append(line)
        commune = communes.get(code)
        line.commune = commune.name if commune else code
        if not code:
            line.refuse(_("The INSEE code of the commune is missing."))
        elif commune is None:
            line.refuse(_("Unknown commune INSEE code: %(code)s.") % {"code": code[:10]})
        elif code not in in_territory:
            line.refuse(
                _("%(commune)s is not part of the territory covered by the platform.")
                % {"commune": commune.name}
            )
        elif code not in importable:
            line.refuse(_("You cannot import premises of %(commune)s.") % {"commune": commune.name})
        for column, message in MISSING.items():
            if column in columns and not row.get(column):
                line.refuse(str(message))
        for column, text in row.items():
            if len(text) > MAX_CELL_CHARS:
                line.refuse(
                    _("Column %(column)s holds more than %(count)s characters.")
                    % {"column": column, "count": MAX_CELL_CHARS}
                )
        site_values = _site_values(row, columns, line)
        space_values = _space_values(row, columns, line, kinds)
        if line.outcome == Outcome.REFUSED or commune is None:
            continue

        # Duplicates inside the file.
        site_key = (code, key_of(site_name))
        name_key = (code, key_of(site_name), key_of(space_name))
        inventory_id = space_values.get("inventory_id", "")
        if inventory_id and (code, inventory_id) in seen_ids:
            line.refuse(
                _("The identifier %(id)s is already on line %(line)s.")
                % {"id": inventory_id, "line": seen_ids[(code, inventory_id)]}
            )
        if name_key in seen_names:
            line.refuse(
                _("The space “%(space)s” of “%(site)s” is already on line %(line)s.")
                % {"space": space_name, "site": site_name, "line": seen_names[name_key]}
            )
        if line.outcome == Outcome.REFUSED:
            continue
        if inventory_id:
            seen_ids[(code, inventory_id)] = number
        seen_names[name_key] = number
        if site_key in site_lines and site_lines[site_key][1] != site_values:
            line.refuse(
                _(
                    "The site “%(site)s” is described differently on line %(line)s: its "
                    "address, coordinates and ERP columns must be the same on each of its lines."
                )
                % {"site": site_name, "line": site_lines[site_key][0]}
            )
            continue
        site_lines.setdefault(site_key, (number, site_values))

        # The site: an existing one (commune + name), or a new one.
        existing_sites = sites.get(site_key, [])
        if len(existing_sites) > 1:
            line.refuse(
                _("Several sites of %(commune)s are named “%(site)s”: rename one first.")
                % {"commune": commune.name, "site": site_name}
            )
            continue
        site: Site
        site_changes: list[str] = []
        if existing_sites:
            site = existing_sites[0]
            if site.pk not in manageable:
                line.refuse(_("You do not manage the site “%(site)s”.") % {"site": site.name})
                continue
            site = plan.sites_to_update.get(site.pk, site)
            for name, value in site_values.items():
                if getattr(site, name) != value:
                    site_changes.append(name)
                    setattr(site, name, value)
        elif site_key in new_sites:
            site = new_sites[site_key]
        else:
            if commune.organisation_id is None:
                line.refuse(
                    _("%(commune)s has no organisation on the platform to own the site.")
                    % {"commune": commune.name}
                )
                continue
            site = Site(name=site_name, commune=commune, owner_id=commune.organisation_id)
            for name, value in site_values.items():
                setattr(site, name, value)
            site.is_erp = bool(site.erp_types) or site.erp_category is not None
        if postcodes.get(code) and site.postcode and site.postcode not in postcodes[code]:
            line.refuse(
                _("The postcode of %(commune)s is %(codes)s.")
                % {"commune": commune.name, "codes": ", ".join(sorted(postcodes[code]))}
            )
        # A site is checked once, on its first line (the others must describe it the same).
        if site_key not in cleaned_sites and (site.pk is None or site_changes):
            try:
                site.full_clean(
                    exclude=site_clean_fields, validate_unique=False, validate_constraints=False
                )
            except ValidationError as exc:
                for text in _errors_text(exc, _SITE_LABELS):
                    line.refuse(text)
        cleaned_sites.add(site_key)
        if line.outcome == Outcome.REFUSED:
            continue

        # The space: by its identifier, else by its site and name.
        space: Space | None = None
        if inventory_id:
            matches = by_inventory_id.get((code, inventory_id), [])
            if len(matches) > 1:
                line.refuse(
                    _("Several spaces of %(commune)s have the identifier %(id)s.")
                    % {"commune": commune.name, "id": inventory_id}
                )
                continue
            if matches:
                space = matches[0]
                if site.pk != space.site_id:
                    line.refuse(
                        _(
                            "The identifier %(id)s is a space of the site “%(site)s”: a space "
                            "cannot be moved to another site by an import."
                        )
                        % {"id": inventory_id, "site": space.site.name}
                    )
                    continue
        if space is None and site.pk is not None:
            named = spaces.get((site.pk, key_of(space_name)), [])
            if len(named) > 1:
                line.refuse(
                    _("Several spaces of “%(site)s” are named “%(space)s”: rename one first.")
                    % {"site": site.name, "space": space_name}
                )
                continue
            if named:
                space = named[0]
                if inventory_id and space.inventory_id and space.inventory_id != inventory_id:
                    line.refuse(
                        _("The space “%(space)s” already has the identifier %(id)s.")
                        % {"space": space.name, "id": space.inventory_id}
                    )
                    continue
        space_changes: list[str] = []
        if space is None:
            space = Space(site=site, name=space_name, kind=SpaceKind.OTHER)
            for name, value in space_values.items():
                setattr(space, name, value)
        else:
            if space.name != space_name:
                space_changes.append("name")
                space.name = space_name
            for name, value in space_values.items():
                if name == "inventory_id" and not value:
                    continue  # a file without identifiers keeps those the base has
                if getattr(space, name) != value:
                    space_changes.append(name)
                    setattr(space, name, value)
        if space.pk is None or space_changes:
            try:
                # Only the fields the file sets (the others keep their valid values). The check
                # constraints (capacity, surface, rent) repeat the fields' validators; checking
                # them here would cost a query per line. The database still has them.
                space.full_clean(
                    exclude=space_clean_fields, validate_unique=False, validate_constraints=False
                )
            except ValidationError as exc:
                for text in _errors_text(exc, _SPACE_LABELS):
                    line.refuse(text)
                continue

        # Record what to write.
        if site.pk is None:
            if site_key not in new_sites:
                new_sites[site_key] = site
                plan.sites_to_create.append(site)
        elif site_changes:
            plan.sites_to_update[site.pk] = site
            plan.site_fields.update(site_changes)
        if space.pk is None:
            plan.spaces_to_create.append(space)
            line.outcome = Outcome.CREATED
        elif space_changes:
            plan.spaces_to_update[space.pk] = space
            plan.space_fields.update(space_changes)
            line.outcome = Outcome.UPDATED
        elif site_changes:
            line.outcome = Outcome.UPDATED
        line.changes = [str(Site._meta.get_field(name).verbose_name) for name in site_changes] + [
            str(Space._meta.get_field(name).verbose_name) for name in space_changes
        ]
    return plan


# --- The export in the template's format (the round trip) ---------------------------------


def _plain(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def inventory_export_rows(user: AnyUser) -> Iterator[list[str]]:
    """The spaces of the sites the user may import into, one line each in `COLUMNS`' order:
    importing the file back changes nothing."""
    spaces = (
        Space.objects.filter(
            site__in=sites_manageable_by(user).filter(
                commune__in=communes_importable_by(user).values("pk")
            )
        )
        .select_related("site")
        .order_by("site__commune_id", "site__name", "name", "pk")
    )
    for space in spaces.iterator(chunk_size=2000):
        site = space.site
        yield [
            space.inventory_id,
            site.commune_id,
            site.name,
            _plain(site.street_number),
            site.street_number_suffix,
            site.street_name,
            site.address_complement,
            site.postcode,
            _plain(site.latitude),
            _plain(site.longitude),
            ", ".join(site.erp_types or []),
            _plain(site.erp_category),
            space.name,
            space.kind,
            _plain(space.floor),
            _plain(space.surface_m2),
            _plain(space.capacity),
            _plain(space.reference_rent),
        ]
