"""The site's URLs plus a view that fails, for the 500 page test (tests/core/test_error_pages.py)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def broken_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("en-panne/", broken_view), *site_urlpatterns]
