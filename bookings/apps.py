from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = _("Bookings and allocations")

    def ready(self) -> None:
        from accounts.dependents import (
            structure_erasure_step_register,
            user_erasure_step_register,
        )
        from accounts.reminders import reminder_managers_register
        from bookings import erasure
        from bookings.allocations.reminders import managers_of_occupied_sites

        # The managers of the premises a structure occupies hear of its expiring documents.
        reminder_managers_register(managers_of_occupied_sites)
        # Erasing an account revokes its feeds; erasing a structure withdraws its requests.
        user_erasure_step_register(erasure.user_erasure_step)
        structure_erasure_step_register(erasure.structure_erasure_step)
