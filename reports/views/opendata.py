"""The open-data index (/donnees/) and the stable URL of each file: public, no login, with
validators (ETag, Last-Modified) and a public cache lifetime so that a data portal can harvest
them and ask again cheaply."""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from reports import opendata

# A harvester comes back every few hours at most; an hour keeps a published change visible
# the same day while sparing the database a read per visit.
CACHE_CONTROL = "public, max-age=3600"


@require_safe
def open_data_index(request: HttpRequest) -> HttpResponse:
    """Every published file: its stable URL, format, schema, licence and last update. A family
    of files (the subsidies: one per public body and year) is one row per file."""
    entries = []
    for entry in opendata.OPEN_DATA_FILES:
        schema_file_url = (
            reverse("opendata:schema", args=[entry.schema_file]) if entry.schema_file else ""
        )
        if entry.editions is not None:
            entries += [
                {
                    "file": entry,
                    "title": edition.title,
                    "format": edition.format,
                    "url": request.build_absolute_uri(edition.path),
                    "schema_file_url": schema_file_url,
                    "computed": True,  # built from the base at each download
                    "first": index == 0,  # the family's description once
                }
                for index, edition in enumerate(entry.editions())
            ]
            continue
        entries.append(
            {
                "file": entry,
                "title": entry.title,
                "format": entry.format,
                "url": request.build_absolute_uri(
                    reverse(entry.url_name)
                    if entry.url_name
                    else reverse("opendata:file", args=[entry.slug])
                ),
                "schema_file_url": schema_file_url,
                "last_modified": entry.last_modified(),
                "first": True,
            }
        )
    context = {
        "entries": entries,
        "licence_name": opendata.LICENCE_NAME,
        "licence_url": opendata.LICENCE_URL,
    }
    return render(request, "reports/open_data.html", context)


@require_safe
def open_data_file(request: HttpRequest, slug: str) -> HttpResponse:
    entry = opendata.open_data_file(slug)
    if entry is None:
        raise Http404
    content = entry.build()
    etag = opendata.etag_of(content)
    last_modified = entry.last_modified()
    timestamp = int(last_modified.timestamp()) if last_modified is not None else None
    response = get_conditional_response(request, etag=etag, last_modified=timestamp)
    if response is None:
        response = HttpResponse(content, content_type=entry.media_type)
        response["Content-Disposition"] = f'attachment; filename="{entry.download_name()}"'
    response["ETag"] = etag
    if timestamp is not None:
        response["Last-Modified"] = http_date(timestamp)
    response["Cache-Control"] = CACHE_CONTROL
    response["Access-Control-Allow-Origin"] = "*"  # open data: any portal's page may read it
    return response


@require_safe
def open_data_schema(request: HttpRequest, name: str) -> HttpResponse:
    """A vendored Table Schema, as the index links it."""
    path = opendata.schema_path(name)
    if path is None:
        raise Http404
    response = FileResponse(path.open("rb"), content_type="application/json")
    response["Cache-Control"] = CACHE_CONTROL
    response["Access-Control-Allow-Origin"] = "*"
    return response
