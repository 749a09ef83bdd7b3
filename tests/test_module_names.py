"""Modules are named for what they hold: a kind of module that spans several sub-domains is a
package with one module per sub-domain (`bookings/forms/closures.py`), never a suffix module
beside it (`bookings/forms_closures.py`), so there is one splitting rule (issue 10 §5)."""

import re
from pathlib import Path

from django.conf import settings

KINDS = "admin|forms|models|notifications|receivers|rules|selectors|services|urls|views"
SUFFIX_MODULE = re.compile(rf"^({KINDS})_\w+\.py$")


def test_no_module_is_a_kind_with_a_suffix():
    root = Path(settings.BASE_DIR).resolve()
    folders = [root / "bench", *(app.parent for app in root.glob("*/apps.py"))]

    suffixed = sorted(
        str(path.relative_to(root))
        for folder in folders
        for path in folder.rglob("*.py")
        if SUFFIX_MODULE.match(path.name)
    )

    assert suffixed == []
