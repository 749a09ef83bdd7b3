"""No template puts data into a style sheet, a script or an event attribute (issue 9 §1).

Django escapes for HTML; inside CSS or JavaScript that escaping means nothing, and a name with
a newline once turned a PDF's style sheet into a request to any URL. Data reaches scripts
through `json_script` or `data-` attributes, and PDF footers through HTML elements.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATE_DIRS = [
    Path(settings.BASE_DIR) / "templates",
    *Path(settings.BASE_DIR).glob("*/templates"),
]
TEMPLATES = sorted(
    path
    for directory in TEMPLATE_DIRS
    for path in directory.rglob("*.html")
    if ".venv" not in path.parts
)
NON_HTML_CONTEXTS = re.compile(
    r"<style\b[^>]*>(?P<style>.*?)</style>"
    r"|<script\b[^>]*>(?P<script>.*?)</script>"
    r"|\s(?:style|on[a-z]+)\s*=\s*(?:\"(?P<double>[^\"]*)\"|'(?P<single>[^']*)')",
    re.DOTALL | re.IGNORECASE,
)
TEMPLATE_CODE = re.compile(r"{{|{%")


def test_the_scan_finds_the_templates():
    assert len(TEMPLATES) > 20
    assert any(path.parent.name == "pdf" for path in TEMPLATES)


@pytest.mark.parametrize(
    "path", TEMPLATES, ids=lambda path: str(path.relative_to(settings.BASE_DIR))
)
def test_no_template_code_inside_css_scripts_or_event_attributes(path):
    source = path.read_text()

    offending = [
        match.group(0)[:120]
        for match in NON_HTML_CONTEXTS.finditer(source)
        if TEMPLATE_CODE.search(next(group for group in match.groups() if group is not None))
    ]

    assert offending == []
