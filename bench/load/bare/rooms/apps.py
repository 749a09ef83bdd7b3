from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "bench.load.bare.rooms"
    label = "rooms"
