from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("core.urls")),
    path("", include("portal.urls")),
    path("accounts/", include("accounts.urls")),
    path("espaces/", include("spaces.urls")),
    path("reservations/", include("bookings.urls")),
    path("appels/", include("calls.urls")),
    path("rapports/", include("reports.urls")),
    path("paiements/", include("payments.urls")),
    path("api/", include("api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
