"""The open-data files of the territory (DOMAIN.md §5): the premises inventory as SCDL
"équipements" (CSV and XLSX) and the sites as GeoJSON, and the registry the index page
(/donnees/) lists them from.

Only what the public catalogue shows goes out: published sites that are not closed
(`spaces.selectors.catalogue_sites` for an anonymous visitor), and no personal data (no
manager, no contact person, no occupant). Each builder reads in a fixed number of queries,
whatever the number of sites and spaces.

One row per **site**, not per space: an SCDL "équipement collectif public" is a facility at an
address (a town hall, a community centre, a multi-purpose hall), with one position, one
ERP classification and one ERP category; in this project those are all the site's. A room
is part of its building's equipment, not an equipment of its own: one row per room would
repeat the building's address, position and ERP identity, and give a harvester (data.gouv.fr,
a regional portal) twenty "équipements" at one point. The number of spaces and their surface
go in the GeoJSON's properties.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Max, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationKind
from core.exports import XLSX_MEDIA_TYPE, csv_text, xlsx_bytes
from reports import selectors
from spaces.models import Site, Space
from spaces.selectors import catalogue_sites

SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"
LICENCE_NAME = "Licence Ouverte / Open Licence version 2.0 (Etalab)"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence"

# --- SCDL équipements (schema 0.1.5, reports/schemas/scdl-equipements.json) ---

EQUIPEMENTS_HEADER = [
    "COLL_NOM",
    "COLL_SIRET",
    "EQUIP_UID",
    "EQUIP_THEME",
    "EQUIP_CODE",
    "EQUIP_TYPE",
    "EQUIP_NOM",
    "ADR_NUMERO",
    "ADR_NOMVOIE",
    "ADR_CODEPOSTAL",
    "ADR_COMMUNE",
    "ADR_CLE_INTEROP",
    "ERP_ID",
    "ERP_TYPE",
    "ERP_CATEGORIE",
    "EQUIP_LAT",
    "EQUIP_LONG",
    "EQUIP_OUVERTURE",
    "EQUIP_TEL",
    "EQUIP_EMAIL",
    "EQUIP_WEB",
]
# The schema's ten themes, from the site's main ERP type (its activity). Shared premises lent
# to associations are "social et d'animation"; so is a building with no ERP type recorded.
THEME_OF_ERP_TYPE = {
    "W": "Equipement administratif",
    "R": "Equipement d'enseignement",
    "S": "Equipement culturel",
    "T": "Equipement culturel",
    "Y": "Equipement culturel",
    "X": "Equipement sportif et de loisirs",
    "P": "Equipement sportif et de loisirs",
    "U": "Equipement sanitaire",
    "V": "Equipement cultuel",
    "M": "Autre équipement",
    "N": "Autre équipement",
    "O": "Autre équipement",
}
DEFAULT_THEME = "Equipement social et d'animation"
# The official wording of each ERP type's activity (the file is French whatever the reader's
# language, as the schema's values are).
TYPE_OF_ERP_TYPE = {
    "J": "Structure d'accueil pour personnes âgées ou handicapées",
    "L": "Salle de réunion, de conférence, de spectacle ou à usage multiple",
    "M": "Magasin de vente",
    "N": "Restaurant ou débit de boissons",
    "O": "Hôtel ou pension de famille",
    "P": "Salle de danse ou de jeux",
    "R": "Établissement d'enseignement ou de formation, centre de loisirs",
    "S": "Bibliothèque, centre de documentation",
    "T": "Salle d'exposition",
    "U": "Établissement sanitaire",
    "V": "Établissement de culte",
    "W": "Administration, bureaux",
    "X": "Établissement sportif couvert",
    "Y": "Musée",
}
DEFAULT_TYPE = "Locaux partagés"
# ADR_NUMERO is required by the schema; a site on a street without numbers (a lieu-dit) says
# so in the postal way rather than leaving the row invalid.
NO_NUMBER = "s/n"


def publishing_body() -> Organisation | None:
    """The intercommunality that publishes the files (the first EPCI recorded)."""
    return Organisation.objects.filter(kind=OrganisationKind.EPCI).order_by("pk").first()


def published_sites() -> QuerySet[Site]:
    """The sites the public catalogue lists, with their commune, owner and number of spaces;
    sites without coordinates are left out (the schema and the map need a position)."""
    return (
        catalogue_sites(AnonymousUser())
        .filter(latitude__isnull=False, longitude__isnull=False)
        .annotate(surface_m2=Sum("spaces__surface_m2"))
    )


def equip_code(site: Site) -> str:
    """The site's stable code within its commune: "LC" and its number, never reused."""
    return f"LC{site.pk:06d}"


def equip_uid(site: Site) -> str:
    return f"{site.commune_id}-{equip_code(site)}"


def site_url(site: Site) -> str:
    return settings.SITE_URL.rstrip("/") + site.get_absolute_url()


def _address_number(site: Site) -> str:
    if site.street_number is None:
        return NO_NUMBER
    return f"{site.street_number} {site.street_number_suffix}".strip()


def _equipement_row(site: Site, publisher: Organisation | None) -> list[object]:
    # The owner is the collectivity of the row; an owner without a SIRET (which the schema
    # requires) is replaced by the publishing intercommunality, whose data the file is.
    collectivity = site.owner
    if not collectivity.siret and publisher is not None:
        collectivity = publisher
    main_type = site.erp_types[0] if site.is_erp and site.erp_types else ""
    return [
        collectivity.name,
        collectivity.siret,
        equip_uid(site),
        THEME_OF_ERP_TYPE.get(main_type, DEFAULT_THEME),
        equip_code(site),
        TYPE_OF_ERP_TYPE.get(main_type, DEFAULT_TYPE),
        site.name,
        _address_number(site),
        site.street_name,
        site.postcode,
        site.commune.name,
        "",  # ADR_CLE_INTEROP: the BAN key needs the street's code, not recorded
        "",  # ERP_ID: no national ERP identifier is recorded
        main_type,
        site.erp_category if site.is_erp else None,
        site.latitude,
        site.longitude,
        "",  # EQUIP_OUVERTURE: opening hours are per space, not per building
        "",  # EQUIP_TEL and EQUIP_EMAIL: the contacts are people (personal data)
        "",
        site_url(site),
    ]


def equipements_table() -> tuple[list[str], list[list[object]]]:
    """(header, rows) of the SCDL équipements file, one row per published site."""
    publisher = publishing_body()
    return EQUIPEMENTS_HEADER, [_equipement_row(site, publisher) for site in published_sites()]


def equipements_csv() -> bytes:
    """The SCDL dialect: UTF-8 without byte-order mark, comma-separated, text quoted."""
    header, rows = equipements_table()
    return csv_text(header, rows, delimiter=",", bom=False).encode("utf-8")


def equipements_xlsx() -> bytes:
    header, rows = equipements_table()
    return xlsx_bytes(header, rows, title="equipements")


# --- GeoJSON of the sites (RFC 7946: WGS 84, [longitude, latitude]) ---


def _coordinate(value: Decimal) -> float:
    return float(round(value, 6))  # 6 decimals: 0.1 m, what the model stores


def sites_geojson() -> bytes:
    features = [
        {
            "type": "Feature",
            "id": equip_uid(site),
            "geometry": {
                "type": "Point",
                "coordinates": [_coordinate(site.longitude), _coordinate(site.latitude)],
            },
            "properties": {
                "uid": equip_uid(site),
                "nom": site.name,
                "adresse": site.address_line,
                "complement": site.address_complement,
                "code_postal": site.postcode,
                "commune": site.commune.name,
                "code_insee": site.commune_id,
                "proprietaire": site.owner.name,
                "nombre_espaces": site.space_count,
                "surface_m2": float(site.surface_m2) if site.surface_m2 is not None else None,
                "erp_types": site.erp_types if site.is_erp else [],
                "erp_categorie": site.erp_category if site.is_erp else None,
                "entree_de_plain_pied": site.step_free_entrance,
                "url": site_url(site),
            },
        }
        for site in published_sites()
    ]
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def inventory_last_modified() -> datetime | None:
    """When a site or a space last changed (publishing or unpublishing one included)."""
    sites = Site.objects.aggregate(last=Max("updated_at"))["last"]
    spaces = Space.objects.aggregate(last=Max("updated_at"))["last"]
    return max((moment for moment in (sites, spaces) if moment is not None), default=None)


def collectivity_slug() -> str:
    """The publisher's name for file names (OpenDataFrance style: equipements_<collectivite>)."""
    publisher = publishing_body()
    return slugify(publisher.name) if publisher is not None else "territoire"


# --- The registry the index page and the stable URLs read ---


@dataclass(frozen=True)
class OpenDataFile:
    """One published file. `slug` is its stable URL's last part (/donnees/<slug>); `build`
    returns its content; `download_name` the file name it is saved under;
    `last_modified` when its data last changed (None: unknown). Adding a file to the open data
    is adding one entry to OPEN_DATA_FILES."""

    slug: str
    title: str | Promise
    format: str
    media_type: str
    build: Callable[[], bytes]
    download_name: Callable[[], str]
    last_modified: Callable[[], datetime | None]
    description: str | Promise = ""
    schema_title: str | Promise = ""
    schema_url: str = ""  # the schema's official documentation
    schema_file: str = ""  # the vendored Table Schema, in reports/schemas/
    # A file served by a view of its own (its URL name, e.g. "reports:subsidies-scdl"): the
    # index links it there and /donnees/<slug> does not serve it.
    url_name: str = ""
    # A family of files, one per publisher and year (the SCDL subsidies): the index lists
    # what this returns, one row per file, rather than the entry itself.
    editions: Callable[[], list["OpenDataEdition"]] | None = None


@dataclass(frozen=True)
class OpenDataEdition:
    """One file of a family: its title (who publishes it, which year), its stable URL (a path)
    and format."""

    title: str
    path: str
    format: str


EQUIPEMENTS_SCHEMA_URL = "https://schema.data.gouv.fr/scdl/equipements/0.1.5/documentation.html"
EQUIPEMENTS_DESCRIPTION = _(
    "One row per published site: owner, address, WGS 84 position, ERP type and category, "
    "link to its catalogue page. Sites without a position are left out."
)

OPEN_DATA_FILES: list[OpenDataFile] = [
    OpenDataFile(
        slug="equipements.csv",
        title=_("Premises inventory (SCDL équipements)"),
        format="CSV",
        media_type="text/csv; charset=utf-8",
        build=equipements_csv,
        download_name=lambda: f"equipements_{collectivity_slug()}.csv",
        last_modified=inventory_last_modified,
        description=EQUIPEMENTS_DESCRIPTION,
        schema_title="SCDL Équipements 0.1.5",
        schema_url=EQUIPEMENTS_SCHEMA_URL,
        schema_file="scdl-equipements.json",
    ),
    OpenDataFile(
        slug="equipements.xlsx",
        title=_("Premises inventory (SCDL équipements)"),
        format="XLSX",
        media_type=XLSX_MEDIA_TYPE,
        build=equipements_xlsx,
        download_name=lambda: f"equipements_{collectivity_slug()}.xlsx",
        last_modified=inventory_last_modified,
        description=EQUIPEMENTS_DESCRIPTION,
        schema_title="SCDL Équipements 0.1.5",
        schema_url=EQUIPEMENTS_SCHEMA_URL,
        schema_file="scdl-equipements.json",
    ),
    OpenDataFile(
        slug="sites.geojson",
        title=_("Map of the sites (GeoJSON)"),
        format="GeoJSON",
        media_type="application/geo+json",
        build=sites_geojson,
        download_name=lambda: f"sites_{collectivity_slug()}.geojson",
        last_modified=inventory_last_modified,
        description=_(
            "One point per published site (RFC 7946, WGS 84, longitude first): name, address, "
            "commune and its INSEE code, owner, number of spaces, surface, link to its page."
        ),
        schema_title="RFC 7946",
        schema_url="https://www.rfc-editor.org/rfc/rfc7946",
    ),
]


def subsidy_editions() -> list[OpenDataEdition]:
    """The SCDL subsidies files: for each public body with a SIRET, the current year and the
    earlier years it granted aid in, as CSV and as XLSX (the same view, `?format=xlsx`). Five
    queries whatever the number of bodies."""
    publishers = list(selectors.subsidy_publishers().order_by("name", "pk"))
    years = selectors.subsidy_years(publishers, current_year=timezone.localdate().year)
    by_siren: dict[str, tuple[Organisation, set[int]]] = {}
    for publisher in publishers:  # one file for the establishments of one SIREN
        _first, found = by_siren.setdefault(publisher.siret[:9], (publisher, set()))
        found.update(years[publisher.pk])
    editions = []
    for siren, (publisher, found) in by_siren.items():
        for year in sorted(found, reverse=True):
            path = reverse("subsidies:scdl-csv", args=[siren, year])
            title = f"{publisher.name}, {year}"
            editions.append(OpenDataEdition(title=title, path=path, format="CSV"))
            editions.append(OpenDataEdition(title=title, path=f"{path}?format=xlsx", format="XLSX"))
    return editions


SUBSIDIES_SCHEMA_URL = "https://schema.data.gouv.fr/scdl/subventions/2.1.1/documentation.html"
OPEN_DATA_FILES.append(
    OpenDataFile(
        slug="subventions",
        title=_("Subsidies of 23,000 € or more (SCDL subventions)"),
        format="CSV, XLSX",
        media_type="text/csv; charset=utf-8",
        build=lambda: b"",
        download_name=lambda: "",
        last_modified=lambda: None,
        description=_(
            "One file per public body and year: the structures that received 23,000 € or "
            "more from it, in cash and in kind (premises lent free or below their public "
            "rate, valued). CSV with a semicolon as separator, as the aid reports."
        ),
        schema_title="SCDL Subventions 2.1.1",
        schema_url=SUBSIDIES_SCHEMA_URL,
        schema_file="scdl-subventions-2.1.1.json",
        url_name="subsidies:scdl-csv",
        editions=subsidy_editions,
    )
)


def open_data_file(slug: str) -> OpenDataFile | None:
    """The entry /donnees/<slug> serves (None for an unknown slug or a file served elsewhere)."""
    return next(
        (entry for entry in OPEN_DATA_FILES if entry.slug == slug and not entry.url_name), None
    )


def schema_path(name: str) -> Path | None:
    """A vendored schema file by name, or None (only the names the registry uses)."""
    if name not in {entry.schema_file for entry in OPEN_DATA_FILES if entry.schema_file}:
        return None
    return SCHEMAS_DIR / name


def etag_of(content: bytes) -> str:
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
