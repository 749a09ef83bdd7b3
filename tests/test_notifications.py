"""E-mail leaves from one place per app: `<app>/notifications.py`, through core.mail."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["core", "accounts", "spaces", "bookings", "calls", "payments", "reports", "api", "portal"]
ALLOWED = {"core/mail.py"}
# Removed when calls/notifications.py lands (the calls/services.py split, issue 10 §5).
EXCEPTIONS = {"calls/services.py"}
SENDING = re.compile(
    r"\b(send_mail|send_mass_mail|mail_send|mail_send_batch|mail_admins|mail_managers"
    r"|EmailMessage|EmailMultiAlternatives|get_connection|email_user)\b"
)


def _senders(root: Path) -> list[str]:
    """Modules outside the notification modules that send, build or import mail."""
    found = []
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            name = path.relative_to(root).as_posix()
            if path.name == "notifications.py" or name in ALLOWED | EXCEPTIONS:
                continue
            if "migrations" in path.parts:
                continue
            if SENDING.search(path.read_text()):
                found.append(name)
    return found


def test_only_notification_modules_send_mail():
    assert _senders(ROOT) == []


def test_the_scan_sees_a_service_sending_mail(tmp_path):
    (tmp_path / "bookings").mkdir()
    (tmp_path / "bookings" / "notifications.py").write_text("from core.mail import mail_send\n")
    (tmp_path / "bookings" / "services.py").write_text("from core.mail import mail_send\n")

    assert _senders(tmp_path) == ["bookings/services.py"]
