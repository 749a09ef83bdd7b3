"""E-mail leaves from one place per app: `<app>/notifications.py`, through core.mail, so a
newcomer finds what an app sends, and when, in one place."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {"core/mail.py", "accounts/messaging.py"}
SENDING = re.compile(
    r"\b(send_mail|send_mass_mail|mail_send|mail_send_batch|mail_admins|mail_managers"
    r"|EmailMessage|EmailMultiAlternatives|get_connection|email_user"
    r"|notify_users|notify_addresses)\b"
)


def _senders(root: Path) -> list[str]:
    """Modules of our apps (top-level folders with an apps.py) outside the notification modules
    that send, build or import mail; migrations left out."""
    found = []
    for app in sorted(path.parent for path in root.glob("*/apps.py")):
        for path in sorted(app.rglob("*.py")):
            name = path.relative_to(root).as_posix()
            if path.name == "notifications.py" or name in ALLOWED or "migrations" in path.parts:
                continue
            if SENDING.search(path.read_text(encoding="utf-8")):
                found.append(name)
    return found


def test_only_notification_modules_send_mail():
    assert _senders(ROOT) == []


def test_the_scan_sees_a_service_sending_mail(tmp_path):
    (tmp_path / "bookings").mkdir()
    (tmp_path / "bookings" / "apps.py").write_text("")
    (tmp_path / "bookings" / "notifications.py").write_text("from core.mail import mail_send\n")
    (tmp_path / "bookings" / "services.py").write_text("from core.mail import mail_send\n")

    assert _senders(tmp_path) == ["bookings/services.py"]
