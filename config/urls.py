import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

urlpatterns = [
    path("", include("core.urls")),
    path("", include("portal.urls")),
    path("accounts/", include("accounts.urls")),
    path("espaces/", include("spaces.urls")),
    path("reservations/", include("bookings.urls")),
    path("appels/", include("calls.urls")),
    path("saisons/", include("seasons.urls")),
    path("rapports/", include("reports.urls")),
    path("donnees/subventions/", include("reports.urls.open_data")),
    path("donnees/", include("reports.urls.opendata")),
    path("paiements/", include("payments.urls")),
    path("integrations/", include("integrations.urls")),
    path("api/", include("api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
if settings.LOCAL_SERVE:
    # Photos from MEDIA_ROOT, in development and in the demo of `make run` (DEBUG off there, so
    # django.conf.urls.static would add nothing). Production's reverse proxy or bucket serves them.
    urlpatterns += [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
