from django.urls import path

from bookings.views import requests

app_name = "bookings"
urlpatterns = [
    path("", requests.booking_list, name="booking-list"),
    path("<int:pk>/", requests.booking_detail, name="booking-detail"),
]
