"""Open data of the aid: the SCDL "subventions" file of each public body, per year.

Public by law (décret 2017-779, arrêté du 17 novembre 2017: the essential data of subsidies of
23,000 € or more are published), so served without login at a stable address that a data portal
can harvest: /donnees/subventions/<SIREN>/<year>.csv, saved as <SIREN>_<year>_subventions.csv.
"""

import re

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from core.exports import table_response
from reports import exports, selectors
from reports.models import FIRST_YEAR, LAST_YEAR

SIREN = re.compile(r"[0-9]{9}")


@require_safe
def subsidies_csv(request: HttpRequest, siren: str, year: int) -> HttpResponse:
    """The SCDL subsidies file of the public body `siren` for `year` (404 for an unknown body, a
    SIREN that is not 9 digits, a year outside 2000–2100)."""
    if not SIREN.fullmatch(siren) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    if not selectors.subsidy_publishers(siren).exists():
        raise Http404
    return table_response(request.GET, *exports.scdl_subsidies_table(siren=siren, year=year))
