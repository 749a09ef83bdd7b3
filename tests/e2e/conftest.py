"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server.

Never `playwright install` (it downloads a browser and fails offline): install Debian's package
with `apt-get install chromium`. Without it, every test here is skipped with that hint.
"""

import io
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these, chromium keeps trying to reach Google's services on a closed network.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = chromium_path()
    if executable is None:
        pytest.skip("Debian's chromium is not installed: apt-get install chromium")
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


@pytest.fixture
def browser_log(page, live_server):
    """Console errors, page errors and requests to any host other than the live server."""
    own_origin = urlsplit(live_server.url)
    log = {"console_errors": [], "page_errors": [], "foreign_requests": [], "requests": []}

    def on_request(request) -> None:
        url = urlsplit(request.url)
        if url.scheme not in ("http", "https", "ws", "wss"):
            return  # data: and blob: URLs never leave the browser
        log["requests"].append(request.url)
        if (url.hostname, url.port) != (own_origin.hostname, own_origin.port):
            log["foreign_requests"].append(request.url)

    def on_console(message) -> None:
        if message.type == "error":
            log["console_errors"].append(f"{message.text} ({message.location})")

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda error: log["page_errors"].append(str(error)))
    return log


@pytest.fixture
def demo_territory(transactional_db):
    """The real demo data (CA de la Porte du Hainaut), committed so the live server sees it."""
    call_command("seed_demo", stdout=io.StringIO())
