from django.urls import path

from bookings.views import feeds, requests

app_name = "bookings"
urlpatterns = [
    path("", requests.booking_list, name="booking-list"),
    path("disponibilites/", requests.availability, name="availability"),
    path("a-traiter/", requests.pending, name="pending"),
    path("espaces/<int:pk>/semaine/", requests.space_week, name="space-week"),
    path("nouvelle/<int:space_pk>/", requests.booking_create, name="booking-create"),
    path("<int:pk>/", requests.booking_detail, name="booking-detail"),
    path("<int:pk>/accepter/", requests.booking_approve, name="booking-approve"),
    path("<int:pk>/refuser/", requests.booking_refuse, name="booking-refuse"),
    path("<int:pk>/annuler/", requests.booking_cancel, name="booking-cancel"),
    path("ics/<slug:token>.ics", feeds.feed_ics, name="feed-ics"),
    path("abonnements/", feeds.feed_list, name="feed-list"),
    path("abonnements/<int:pk>/revoquer/", feeds.feed_revoke, name="feed-revoke"),
]
