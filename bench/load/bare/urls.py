from django.urls import path

from bench.load.bare.rooms.views import ReservationListCreate

urlpatterns = [path("reservations/", ReservationListCreate.as_view())]
