"""Every page each demo role reaches, at a phone's width and a desk's, in a real browser.

For each demo account (and the public), the test signs in, starts from the home page and the
dashboard, and follows the links of the menu and of the page's main content two levels deep,
visiting one page per URL name (one booking page, one agreement page, one call...). On each
page, at 390×844 and at 1366×900, it checks:

- the page is not wider than the screen (`document.documentElement.scrollWidth`);
- axe-core finds no serious or critical violation (every axe rule is run: a superset of the
  wcag2a/wcag2aa/wcag21a/wcag21aa tags RGAA 4.1 maps to);
- at 390 px, touch targets (docs/accessibility.md, "Touch targets"): buttons, fields, selects and
  the links that stand alone (menu, table cells, lists of links, button-like links) are at least
  44 px high (and, for buttons and fields, 44 px wide); a checkbox or radio button is at least
  24 px square and its label at least 44 px high; a link inside a sentence is at least 24 px
  high (WCAG 2.5.8).

Failures are collected and reported together: page, viewport, element and its size. The home
page of each role is saved as a screenshot at both widths (artefacts: $E2E_ARTIFACTS, else the
test's temporary directory).

Pages other helpers of issue 13 rewrite (OWNED_ELSEWHERE) are checked like the others: run this
file again after merging their branches.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve
from playwright.sync_api import Page, expect

from tests.e2e.test_booking_journey import _axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}
ROLES = {
    "public": None,
    "association": "asso@demo.test",
    "manager": "gestionnaire@demo.test",
    "commune": "commune@demo.test",
    "intercommunality": "admin@demo.test",
}
# Pages rewritten by other branches of issue 13 (H1 home/dashboard/menu, H2 booking lists, H3
# calendars, H4 site management, H5 catalogue/space/availability/booking form, H6 confirmations).
OWNED_ELSEWHERE = {
    "portal:home",
    "portal:dashboard",
    "bookings:pending",
    "bookings:booking-list",
    "bookings:calendar-space",
    "bookings:calendar-site",
    "bookings:space-week",
    "spaces:catalogue",
    "spaces:space-detail",
    "spaces:site-detail",
    "spaces:site-edit",
    "spaces:space-edit",
    "bookings:availability",
    "bookings:booking-create",
    "accounts:structure-verify",
    "calls:call-close",
    "calls:application-submit",
}
# Not pages: files, feeds, the API, the admin, the language switch.
SKIPPED_PREFIXES = ("/admin/", "/api/", "/i18n/", "/media/", "/static/", "/accounts/documents/")
SKIPPED_SUFFIXES = (
    ".pdf",
    ".csv",
    ".xlsx",
    ".geojson",
    ".json",
    ".ics",
    "/pdf/",
    "/csv/",
    "/fichier/",
)
SKIPPED_NAMES = {
    "accounts:document-download",
    "bookings:feed-ics",
    "payments:invoice-pdf",
    "reports:certificate",
    "reports:document-file",
}
MAX_PAGES = 45
DEPTH = 2

LINKS_JS = """() => [...document.querySelectorAll(
    'header nav a[href], main a[href]')].map((a) => a.href)"""

# The elements a finger must hit, with their box, sorted into the rule each follows.
TARGETS_JS = """() => {
  const out = [];
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '')
      .trim().replace(/\\s+/g, ' ').slice(0, 40);
    return `<${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${
      el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''
    }> "${text}"`;
  };
  const shown = (el) => {
    if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  const inSentence = (a) => {
    // A link is inline text when its block holds other words than its own.
    let block = a.parentElement;
    while (block && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
    if (!block) return false;
    const own = a.innerText.trim();
    const all = block.innerText.trim();
    return all.length > own.length + 2;
  };
  const scope = [...document.querySelectorAll('header, main')];
  for (const root of scope) {
    for (const el of root.querySelectorAll('a[href], button, input, select, textarea, summary')) {
      if (el.type === 'hidden' || !shown(el)) continue;
      const r = el.getBoundingClientRect();
      let rule;
      if (el.matches('input[type=checkbox], input[type=radio]')) {
        rule = 'choice';
      } else if (el.tagName === 'A' && !el.classList.contains('button') && inSentence(el)) {
        rule = 'inline';
      } else {
        rule = 'target';
      }
      const item = {rule, element: describe(el), width: Math.round(r.width), height: Math.round(r.height)};
      if (rule === 'choice') {
        const label = el.labels && el.labels[0];
        item.label = label ? Math.round(label.getBoundingClientRect().height) : 0;
      }
      out.push(item);
    }
  }
  return out;
}"""


def target_failures(targets: list[dict]) -> list[str]:
    failures = []
    for item in targets:
        size = f"{item['width']}×{item['height']} px"
        if item["rule"] == "target":
            is_link = item["element"].startswith("<a")
            too_small = item["height"] < 44 or (not is_link and item["width"] < 44)
            if too_small:
                failures.append(f"{item['element']} {size} (needs 44 px)")
        elif item["rule"] == "choice":
            if min(item["width"], item["height"]) < 24 or item["label"] < 44:
                failures.append(
                    f"{item['element']} {size}, label {item['label']} px high "
                    "(needs 24 px and a 44 px label)"
                )
        elif item["height"] < 24:
            failures.append(f"{item['element']} {size} (link in a sentence: needs 24 px)")
    return failures


def url_name(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name


def check_page(page: Page, label: str, viewport: dict) -> list[str]:
    page.set_viewport_size(viewport)
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > viewport["width"]:
        wide = page.evaluate(
            """(limit) => [...document.querySelectorAll('main *')]
                 .filter((el) => el.getBoundingClientRect().right > limit + 1)
                 .filter((el) => !el.parentElement
                         || el.parentElement.getBoundingClientRect().right <= limit + 1)
                 .slice(0, 3)
                 .map((el) => `<${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''}>`
                      + ` ${Math.round(el.getBoundingClientRect().right)} px`)""",
            viewport["width"],
        )
        problems.append(f"{width} px wide ({', '.join(wide)})")
    results = _axe.run(page)
    for violation in results.response["violations"]:
        if violation["impact"] in ("serious", "critical"):
            nodes = "; ".join(node["target"][0] for node in violation["nodes"][:3])
            problems.append(f"axe {violation['id']} ({violation['impact']}): {nodes}")
    if viewport is PHONE:
        problems += target_failures(page.evaluate(TARGETS_JS))
    return [f"{label} at {viewport['width']} px: {problem}" for problem in problems]


def sign_in(page: Page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill("demo")
    with page.expect_navigation():
        page.locator("#id_password").press("Enter")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def artefacts_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("E2E_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_of_the_role_fits_a_phone_and_passes_axe(
    page: Page, live_server, demo_territory, role, tmp_path
):
    # Generous: a wait, not a speed test; the heaviest pages (the aid report) take seconds when
    # the machine is busy (make test runs modules side by side).
    page.set_default_timeout(30_000)
    email = ROLES[role]
    if email:
        sign_in(page, live_server, email)
    origin = urlsplit(live_server.url)
    queue = [("/", 0)] + ([("/tableau-de-bord/", 0)] if email else [])
    seen_names: set[str] = set()
    visited: list[str] = []
    failures: list[str] = []
    while queue and len(visited) < MAX_PAGES:
        path, depth = queue.pop(0)
        name = url_name(urlsplit(path).path)
        if name is None or name in seen_names:
            continue
        seen_names.add(name)
        response = page.goto(f"{live_server.url}{path}")
        status = response.status if response else 0
        label = f"{path} [{name}{' — owned by another helper' if name in OWNED_ELSEWHERE else ''}]"
        if status >= 400:
            failures.append(f"{label}: HTTP {status}")
            continue
        visited.append(path)
        if name == "portal:home":
            folder = artefacts_dir(tmp_path)
            for viewport in (PHONE, DESK):
                page.set_viewport_size(viewport)
                page.screenshot(
                    path=folder / f"home-{role}-{viewport['width']}.png", full_page=True
                )
        for viewport in (PHONE, DESK):
            failures += check_page(page, label, viewport)
        if depth >= DEPTH:
            continue
        for href in page.evaluate(LINKS_JS):
            link = urlsplit(href)
            if (link.scheme, link.netloc) != (origin.scheme, origin.netloc):
                continue
            if link.path.startswith(SKIPPED_PREFIXES) or link.path.endswith(SKIPPED_SUFFIXES):
                continue
            target = link.path + (f"?{link.query}" if link.query else "")
            name = url_name(link.path)
            if name not in seen_names and name not in SKIPPED_NAMES:
                queue.append((target, depth + 1))
    assert len(visited) >= (3 if email else 2), visited
    pages = f"{role}: {len(visited)} pages visited: {' '.join(visited)}"
    assert not failures, f"{pages}\n{len(failures)} problems:\n" + "\n".join(failures)
