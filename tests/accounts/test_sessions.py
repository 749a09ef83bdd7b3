"""The session engine and the authentication backend read the session and the user by
compiled queries (accounts/sessions.py, accounts/backends.py; issue 18): the same answers as
Django's, one query each, and sessions signed in under Django's ModelBackend still signed in."""

from datetime import timedelta

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.backends import UserBackend
from accounts.sessions import REPLACED_BACKEND, USER_BACKEND, SessionStore
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def _session_of(user, backend: str) -> str:
    """A session signed in as `user` under `backend`, as `login` writes it; its key."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = backend
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def test_a_signed_in_request_reads_its_session_and_its_user_once_each(client):
    user = UserFactory(email="asso@example.test")
    client.force_login(user)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(ME)

    assert response.status_code == 200
    assert response.json()["email"] == "asso@example.test"
    reads = [query["sql"] for query in queries]
    assert len([sql for sql in reads if '"django_session"' in sql]) == 1
    assert len([sql for sql in reads if 'FROM "accounts_user"' in sql]) == 1
    assert client.session[BACKEND_SESSION_KEY] == USER_BACKEND


def test_a_session_signed_in_under_djangos_model_backend_stays_signed_in(client, settings):
    user = UserFactory(email="asso@example.test")
    client.cookies[settings.SESSION_COOKIE_NAME] = _session_of(user, REPLACED_BACKEND)

    response = client.get(ME)

    assert response.status_code == 200
    assert response.json()["email"] == "asso@example.test"


def test_an_expired_or_unknown_session_signs_nobody_in(client, settings):
    user = UserFactory(email="asso@example.test")
    key = _session_of(user, USER_BACKEND)
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    for cookie in (key, "x" * 32, "court"):
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
        assert client.get(ME).status_code == 403


def test_the_backend_finds_active_users_only():
    active = UserFactory(email="asso@example.test")
    inactive = UserFactory(email="parti@example.test", is_active=False)
    backend = UserBackend()

    assert backend.get_user(active.pk) == active
    assert backend.get_user(str(active.pk)) == active
    assert backend.get_user(inactive.pk) is None
    assert backend.get_user(active.pk + 1000) is None
    assert backend.get_user("pas-un-id") is None
