from django.urls import path

from bookings.views import calendars, closures, feeds, quotas, requests, widget
from bookings.views.allocations import handover, lifecycle, pages, timeline

app_name = "bookings"
urlpatterns = [
    path("", requests.booking_list, name="booking-list"),
    path("disponibilites/", requests.availability, name="availability"),
    path(
        "integration/<int:pk>/disponibilites/",
        widget.widget_availability,
        name="widget-availability",
    ),
    path("a-traiter/", requests.pending, name="pending"),
    path("espaces/<int:pk>/semaine/", requests.space_week, name="space-week"),
    path("nouvelle/<int:space_pk>/", requests.booking_create, name="booking-create"),
    path("<int:pk>/", requests.booking_detail, name="booking-detail"),
    path("<int:pk>/accepter/", requests.booking_approve, name="booking-approve"),
    path("<int:pk>/refuser/", requests.booking_refuse, name="booking-refuse"),
    path("<int:pk>/annuler/", requests.booking_cancel, name="booking-cancel"),
    path("calendrier/evenements/", calendars.calendar_events, name="calendar-events"),
    path("calendrier/espace/<int:pk>/", calendars.space_calendar, name="calendar-space"),
    path("calendrier/site/<int:pk>/", calendars.site_calendar, name="calendar-site"),
    path("calendrier/site/<int:pk>/jour/", calendars.site_day, name="calendar-site-day"),
    path("calendrier/mes-reservations/", calendars.my_calendar, name="calendar-mine"),
    path("fermetures/site/<int:pk>/", closures.site_closures, name="closure-list"),
    path(
        "fermetures/site/<int:pk>/jours-feries/",
        closures.public_holidays_add,
        name="closure-holidays",
    ),
    path("fermetures/<int:pk>/supprimer/", closures.closure_delete, name="closure-delete"),
    path("quotas/site/<int:pk>/", quotas.site_quotas, name="quota-list"),
    path("quotas/<int:pk>/supprimer/", quotas.quota_delete, name="quota-delete"),
    path("ics/<slug:token>.ics", feeds.feed_ics, name="feed-ics"),
    path("abonnements/", feeds.feed_list, name="feed-list"),
    path("abonnements/<int:pk>/revoquer/", feeds.feed_revoke, name="feed-revoke"),
    path("conventions/", pages.allocation_list, name="allocation-list"),
    path("conventions/nouvelle/", pages.allocation_create, name="allocation-create"),
    path("conventions/<int:pk>/", pages.allocation_detail, name="allocation-detail"),
    path("conventions/<int:pk>/pdf/", pages.allocation_pdf, name="allocation-pdf"),
    path("conventions/<int:pk>/accepter/", lifecycle.allocation_accept, name="allocation-accept"),
    path("conventions/<int:pk>/decliner/", lifecycle.allocation_decline, name="allocation-decline"),
    path("conventions/<int:pk>/signer/", lifecycle.allocation_sign, name="allocation-sign"),
    path("conventions/<int:pk>/resilier/", lifecycle.allocation_end, name="allocation-end"),
    path("conventions/<int:pk>/renouveler/", lifecycle.allocation_renew, name="allocation-renew"),
    path("conventions/<int:pk>/cles/", handover.key_issue, name="allocation-key-issue"),
    path("conventions/cles/<int:pk>/retour/", handover.key_return, name="allocation-key-return"),
    path(
        "conventions/<int:pk>/etats-des-lieux/",
        handover.inventory_record,
        name="allocation-inventory",
    ),
    path(
        "conventions/etats-des-lieux/<int:pk>/photos/",
        handover.inventory_photo_add,
        name="allocation-inventory-photo-add",
    ),
    path(
        "conventions/photos/<int:pk>/",
        handover.inventory_photo,
        name="allocation-inventory-photo",
    ),
    path("conventions/site/<int:pk>/chronologie/", timeline.site_timeline, name="site-timeline"),
]
