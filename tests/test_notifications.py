"""One notification module per app: every e-mail of an app leaves from `<app>/notifications.py`
through `core.mail.mail_send`, so a newcomer finds what an app sends, and when, in one place."""

import re
from pathlib import Path

from django.conf import settings

MAIL_IMPORT = re.compile(r"^\s*(from|import)\s+(core\.mail|django\.core\.mail)\b", re.MULTILINE)
# accounts still sends from its services and reminders: its notification module comes with the
# accounts e-mails of issue 10 §4; drop it from here then.
NOT_YET = {"accounts"}


def _app_python_files(root: Path) -> list[Path]:
    """Python files of our apps (top-level folders with an apps.py), migrations left out."""
    return sorted(
        path
        for app in root.glob("*/apps.py")
        for path in app.parent.rglob("*.py")
        if "migrations" not in path.relative_to(app.parent).parts
    )


def test_apps_send_email_from_their_notifications_module_only():
    root = Path(settings.BASE_DIR).resolve()

    senders = [
        str(path.relative_to(root))
        for path in _app_python_files(root)
        if MAIL_IMPORT.search(path.read_text(encoding="utf-8"))
    ]

    assert [
        sender
        for sender in senders
        if Path(sender).parts[0] not in {"core", *NOT_YET}
        and Path(sender).name != "notifications.py"
    ] == []
