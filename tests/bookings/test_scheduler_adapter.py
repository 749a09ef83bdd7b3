"""`bookings/scheduler.py` is the only module of our apps that imports django-scheduler."""

import re
from pathlib import Path

from django.conf import settings

# `import schedule`, `import schedule.models`, `from schedule import …`, `from schedule.x import …`
SCHEDULE_IMPORT = re.compile(r"^\s*(?:from|import)\s+schedule(?:\.|\s|$)", re.MULTILINE)


def _our_python_files() -> list[Path]:
    root = Path(settings.BASE_DIR).resolve()
    # Our apps are the top-level folders with an apps.py (installed packages live elsewhere).
    folders = {root / "config"} | {app.parent for app in root.glob("*/apps.py")}
    return sorted(
        path
        for folder in folders
        for path in folder.rglob("*.py")
        if "migrations" not in path.relative_to(folder).parts
    )


def test_only_the_scheduler_adapter_imports_django_scheduler():
    root = Path(settings.BASE_DIR).resolve()

    importers = [
        str(path.relative_to(root))
        for path in _our_python_files()
        if SCHEDULE_IMPORT.search(path.read_text(encoding="utf-8"))
    ]

    assert importers == ["bookings/scheduler.py"]
