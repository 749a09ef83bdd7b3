from django.core.management.base import BaseCommand

from accounts.services.retention import retention_apply


class Command(BaseCommand):
    help = (
        "Apply the retention periods (RETENTION_* settings): erase accounts never confirmed, "
        "delete old sent e-mails, read notifications, expired invitations and failed-login "
        "records. Run daily; safe twice or on two machines at once."
    )

    def handle(self, *args, **options) -> None:
        counts = retention_apply()
        self.stdout.write(" ".join(f"{name}={count}" for name, count in counts.items()))
