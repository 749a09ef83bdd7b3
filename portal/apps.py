from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The top app: home, dashboard, accessibility statement, navigation flags and demo
    seeding. It may import every app; no app imports it."""

    name = "portal"
