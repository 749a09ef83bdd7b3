from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Fees and payments")

    def ready(self) -> None:
        from payments import receivers  # noqa: F401  (payments follow bookings' signals)
        from payments.panels import panels_register

        # The booking, agreement and space pages show prices, payments and deposits.
        panels_register()
