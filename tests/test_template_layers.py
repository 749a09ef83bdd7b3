"""Templates load tag libraries one way, as the code imports: a lower app's page never loads a
higher app's tags (it gets that app's blocks through core.panels instead)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Lowest first; apps on the same rank (calls, payments) do not load each other's tags either.
LAYERS = [
    ["core"],
    ["accounts"],
    ["spaces"],
    ["bookings"],
    ["calls", "payments"],
    ["reports"],
    ["api"],
    ["portal"],
]
RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}
LOAD = re.compile(r"{%\s*load\s+(.+?)\s*%}")


def _libraries() -> dict[str, str]:
    """Our tag libraries: {library name: the app that defines it}."""
    return {
        module.stem: app
        for app in RANK
        for module in (ROOT / app / "templatetags").glob("*.py")
        if module.stem != "__init__"
    }


def _loaded(text: str) -> set[str]:
    names = set()
    for arguments in LOAD.findall(text):
        words = arguments.split()
        # {% load name1 name2 from library %} loads from the last word only.
        names |= {words[-1]} if "from" in words else set(words)
    return names


def _crossings(templates: Path) -> list[str]:
    libraries = _libraries()
    found = []
    for app in RANK:
        for path in sorted((templates / app).rglob("*")):
            if not path.is_file():
                continue
            for library in sorted(_loaded(path.read_text()) & libraries.keys()):
                owner = libraries[library]
                if owner != app and RANK[owner] >= RANK[app]:
                    found.append(f"{path.relative_to(templates)} loads {library} ({owner})")
    return found


def test_no_template_loads_the_tags_of_a_higher_app():
    assert _crossings(ROOT / "templates") == []


def test_the_scan_sees_a_lower_page_loading_a_higher_library(tmp_path):
    page = tmp_path / "bookings" / "booking_detail.html"
    page.parent.mkdir()
    page.write_text(
        '{% extends "base.html" %}{% load i18n payments_tags %}\n{% load x from panels %}'
    )

    assert _crossings(tmp_path) == ["bookings/booking_detail.html loads payments_tags (payments)"]
