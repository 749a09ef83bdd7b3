from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Fees and payments")

    def ready(self) -> None:
        from bookings.allocations.notifications import allocation_payment_terms_register
        from payments import receivers  # noqa: F401  (payments follow bookings' signals)
        from payments.notifications import allocation_payment_terms
        from payments.panels import panels_register

        # The booking, agreement and space pages show prices, payments and deposits.
        panels_register()
        # The agreements' messages to the structure say how the fee is paid.
        allocation_payment_terms_register(allocation_payment_terms)
