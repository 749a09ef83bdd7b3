"""Personas and shared fixtures.

- territory_admin: member of the intercommunality (manages everything)
- commune_staff: member of the commune that owns `site`
- facilities_manager: assigned to `site`, delegated by the owner to commit it to agreements
- member: administrator of `structure`, an ESS structure that is NOT verified (so it may not
  request space); tests that need a requester use `verified` or `VerifiedStructureFactory`
- outsider: an account with no organisation
- occupant: member of `verified`, the structure offered agreements on `office`; booker: member
  of another structure
"""

from datetime import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from accounts.models import MembershipRole
from spaces.models import SpaceKind
from tests.factories import (
    CommuneFactory,
    EpciFactory,
    MembershipFactory,
    SiteFactory,
    SpaceFactory,
    StructureFactory,
    UserFactory,
    VerifiedStructureFactory,
)
from tests.helpers import FROZEN_NOW

# localstripe_url and stripe_api: a fake Stripe server for the payments and browser tests.
pytest_plugins = ["tests.localstripe"]


# --- pytest-xdist (`make test`: -n auto --dist loadfile) ---

# Modules that take minutes, longest first. Under --dist loadfile a module is one unit of work,
# handed out in collection order: these start first, so that no worker is left alone with one
# at the end of the run while the others wait.
SLOW_FIRST = (
    "tests/api/test_schemathesis.py",
    "tests/api/test_schemathesis_sessions.py",
    "tests/e2e/test_phone_widths.py",
    "tests/test_query_counts.py",
    "tests/api/test_schemathesis_tokens.py",
    "tests/ops/test_backup_restore_s3.py",
)


def pytest_collection_modifyitems(config, items):
    """The slow modules first (SLOW_FIRST); every other test keeps its order (a stable sort)."""
    rank = {module: position for position, module in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(SLOW_FIRST)))


@pytest.fixture(autouse=True)
def _jobs_stay_in_process():
    """The tests run jobs in-process (no broker: eager). A test that publishes to a real broker
    (tests/stack) must leave the project's Celery app current and eager again, or every later
    job of the session would silently go to that broker: this catches it at the culprit."""
    yield
    from celery import current_app
    from django.conf import settings

    from config.celery import app

    assert current_app._get_current_object() is app, "a test left another Celery app current"
    # What the settings say (a test may override them with the `settings` fixture, restored
    # after this check), not what a test changed in Celery's own configuration.
    assert (app.conf.task_always_eager, app.conf.broker_url) == (
        settings.CELERY_TASK_ALWAYS_EAGER,
        settings.CELERY_BROKER_URL,
    ), "a test left the Celery app publishing to another broker"
    # Celery marks "inside a task" with one process-wide flag, set and restored around each eager
    # job. Two threads running eager jobs at once (the concurrency tests) can restore it in the
    # wrong order and leave it set, and every later `result.get()` of this process would then
    # raise "Never call result.get() within a task!". Not a fault of the test that ran them.
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }


@pytest.fixture
def frozen_now() -> datetime:
    """Where `frozen_clock` stops; a module overrides this fixture to stop elsewhere."""
    return FROZEN_NOW


@pytest.fixture
def frozen_clock(frozen_now):
    """Stop the clock at `frozen_now` for the whole test.

    A module opts in with `pytestmark = pytest.mark.usefixtures("frozen_clock")`.
    """
    with time_machine.travel(frozen_now, tick=False):
        yield frozen_now


@pytest.fixture
def epci(db):
    return EpciFactory(name="Communauté d'agglomération de la Porte du Hainaut")


@pytest.fixture
def commune(epci):
    return CommuneFactory(insee_code="59172", name="Denain", epci=epci)


@pytest.fixture
def other_commune(epci):
    return CommuneFactory(insee_code="59526", name="Saint-Amand-les-Eaux", epci=epci)


@pytest.fixture
def site(commune):
    return SiteFactory(commune=commune, name="Les Grands Bureaux")


@pytest.fixture
def space(site):
    return SpaceFactory(site=site, name="Salle Usinor")


@pytest.fixture
def other_site(other_commune):
    return SiteFactory(commune=other_commune, name="Maison des associations")


@pytest.fixture
def territory_admin(epci):
    return MembershipFactory(organisation=epci, user=UserFactory(email="admin@example.test")).user


@pytest.fixture
def territory_admin_client(client, territory_admin):
    """The intercommunality's admin, staff and superuser, signed in (the Django admin)."""
    territory_admin.is_staff = territory_admin.is_superuser = True
    territory_admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(territory_admin)
    return client


@pytest.fixture
def commune_staff(commune):
    return MembershipFactory(
        organisation=commune.organisation,
        user=UserFactory(email="staff@example.test"),
        role=MembershipRole.MEMBER,
    ).user


@pytest.fixture
def facilities_manager(site):
    """Assigned to `site`, and delegated by its owner to commit it to agreements (without the
    delegation a manager may not offer, sign, renew or end one: tests/test_conflicts.py)."""
    user = UserFactory(email="manager@example.test")
    site.managers.add(user, through_defaults={"may_commit_owner": True})
    return user


@pytest.fixture
def structure(db):
    return StructureFactory(name="Mobilité Solidaire")


@pytest.fixture
def member(structure):
    """Administrator of `structure`, which is not verified: not allowed to request space."""
    return MembershipFactory(
        organisation=structure, user=UserFactory(email="member@example.test")
    ).user


@pytest.fixture
def outsider(db):
    return UserFactory(email="outsider@example.test")


@pytest.fixture
def organisation(db):
    """A verified structure (may request space), with no premises of its own."""
    return VerifiedStructureFactory(name="Les Amis du Vélo")


@pytest.fixture
def requester(organisation):
    """Administrator of `organisation`: the one who asks for rooms in the booking tests."""
    return MembershipFactory(
        organisation=organisation, user=UserFactory(email="asso@example.test")
    ).user


# --- Appended for tests/accounts, tests/core and tests/test_permissions.py ---


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_documents_in_tmp(_media_in_tmp, monkeypatch):
    """A FileField calls its storage callable once, at import: call it again with the tmp settings.

    Without this, the documents uploaded by the tests land in the project's private_media/.
    """
    from accounts.models import OrganisationDocument

    field = OrganisationDocument._meta.get_field("file")
    if hasattr(field, "_storage_callable"):
        monkeypatch.setattr(field, "storage", field._storage_callable())


@pytest.fixture
def other_commune_staff(other_commune):
    return MembershipFactory(
        organisation=other_commune.organisation,
        user=UserFactory(email="other-staff@example.test"),
        role=MembershipRole.MEMBER,
    ).user


# --- Long-term occupancy: an office, a verified structure, its member, another structure ---


@pytest.fixture
def office(site):
    return SpaceFactory(
        site=site,
        name="Bureau 12",
        kind=SpaceKind.OFFICE,
        allocatable=True,
        bookable=True,
        surface_m2=Decimal("20"),
        reference_rent=Decimal("120"),
    )


@pytest.fixture
def verified(territory_admin):
    return StructureFactory(
        name="Mobilité Solidaire",
        rna="W595012345",
        verified_at=timezone.now(),
        verified_by=territory_admin,
    )


@pytest.fixture
def occupant(verified):
    return MembershipFactory(
        organisation=verified, user=UserFactory(email="occupant@example.test")
    ).user


@pytest.fixture
def booker(territory_admin):
    structure = StructureFactory(
        name="Repair Café", verified_at=timezone.now(), verified_by=territory_admin
    )
    return MembershipFactory(
        organisation=structure, user=UserFactory(email="repair@example.test")
    ).user


# --- Appended for tests/spaces, tests/api and tests/core/test_seed_demo.py ---


@pytest.fixture(autouse=True)
def _static_root_exists(settings, tmp_path):
    """WhiteNoise warns when STATIC_ROOT is missing (an error under -W error); no test collects."""
    settings.STATIC_ROOT = tmp_path / "staticfiles"
    settings.STATIC_ROOT.mkdir()


@pytest.fixture(scope="session")
def _live_server_static_root(tmp_path_factory):
    """WhiteNoise warns (an error under -W error) when STATIC_ROOT is missing; the live server is
    session-wide, so it needs one before tests/conftest.py's per-test fixture runs."""
    with override_settings(STATIC_ROOT=tmp_path_factory.mktemp("staticfiles")):
        yield


@pytest.fixture(scope="session")
def live_server(_live_server_static_root, live_server):
    """pytest-django's live server; it serves /static/ (finders) and /media/ (MEDIA_ROOT)."""
    return live_server


@pytest.fixture(scope="session", autouse=True)
def _no_stray_connections_at_teardown(django_db_setup, django_db_blocker):
    """Close the test database's other sessions before pytest-django drops it.

    After the browser tests, one connection to the test database stayed open (seen on
    PostgreSQL when tests/accounts and tests/e2e run together; probably a connection opened
    under Playwright's greenlet, whose context variables hide it from the main thread's
    `connections.close_all()`), and PostgreSQL refused to drop the database.
    """
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


# --- Throttling and lockout (tests/core/test_throttling.py) ---


@pytest.fixture(autouse=True)
def _sessions_outlive_time_travel(settings):
    """Tests travel days ahead after signing in; the idle timeout (2 h) has its own tests."""
    settings.SESSION_COOKIE_AGE = 365 * 24 * 60 * 60


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    """Login failures and request rates are counted in the cache: each test starts at zero, so
    the suite's own logins and API calls never add up to a lockout or a 429."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def smtp_inbox(settings):
    """A real SMTP server (aiosmtpd) that this process's mail goes to; `deliver()` sends what
    the outbox holds (the after-commit job does not run inside a test's transaction) and
    returns the inbox."""
    from core.mail import outbox_sweep
    from tests.stack.smtp import smtp_server, smtp_settings

    with smtp_server() as (inbox, port):
        for name, value in smtp_settings(port).items():
            setattr(
                settings, name, int(value) if name in ("EMAIL_PORT", "EMAIL_TIMEOUT") else value
            )
        settings.EMAIL_USE_TLS = False

        def deliver():
            outbox_sweep()
            return inbox

        inbox.deliver = deliver
        yield inbox
