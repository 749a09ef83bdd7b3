"""What bearer-token authentication costs a request (issue 14: at most 1 ms), in process.

Times `BearerTokenAuthentication.authenticate` alone (token in the cache; cache cleared
before each call, the first request of a token or one after `CACHE_SECONDS`), the session's
authentication of the same user for comparison, and a whole `GET /api/v1/me/` through the
test client both ways. Medians and 95th percentiles, in milliseconds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres CACHE_URL=redis://127.0.0.1:6379/5 \\
        python -m bench.api_token_auth [--rounds 2000]

It creates (and keeps, for the next run) a test database named `test_bench_api_tokens`.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta

import django


def _say(*parts: str) -> None:
    sys.stdout.write(" ".join(parts) + "\n")


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95)]
    return f"median {statistics.median(ordered) * 1000:.3f} ms, p95 {p95 * 1000:.3f} ms"


def _time(call, rounds: int, before=None) -> list[float]:
    samples = []
    for _ in range(rounds):
        if before is not None:
            before()
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2000)
    rounds = parser.parse_args().rounds
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("TEST_DATABASE_NAME", "test_bench_api_tokens")
    os.environ.setdefault("API_USER_RATE", "1000000/minute")  # measure, not throttle
    os.environ.setdefault("LOG_LEVEL", "ERROR")  # a line per request would be measured too
    django.setup()

    from django.conf import settings
    from django.contrib.auth import SESSION_KEY, get_user
    from django.contrib.sessions.backends.base import SessionBase
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client, RequestFactory
    from django.test.utils import setup_test_environment
    from django.utils import timezone
    from django.utils.module_loading import import_string
    from rest_framework.request import Request

    from accounts.models import Membership, Organisation, OrganisationKind, User
    from accounts.services.tokens import api_token_create
    from api.authentication import BearerTokenAuthentication

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, keepdb=True)
    settings.ALLOWED_HOSTS = ["*"]
    _say(f"database {connection.vendor}, cache {settings.CACHES['default']['BACKEND']}")

    user, _ = User.objects.get_or_create(email="bench-token@example.test")
    organisation, _ = Organisation.objects.get_or_create(name="Bench", kind=OrganisationKind.OTHER)
    Membership.objects.get_or_create(user=user, organisation=organisation)
    _, secret = api_token_create(
        actor=user,
        name="bench",
        scope="read",
        expires_at=timezone.now() + timedelta(days=30),
    )
    factory = RequestFactory()
    header = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    authentication = BearerTokenAuthentication()

    def token_authenticate() -> None:
        if authentication.authenticate(Request(factory.get("/api/v1/me/", **header))) is None:
            raise RuntimeError("the token was refused")

    session_engine = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    session: SessionBase = session_engine()
    session[SESSION_KEY] = str(user.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[-1]  # not axes
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.save()

    def session_authenticate() -> None:
        request = factory.get("/api/v1/me/")
        request.session = session_engine(session.session_key)
        if not get_user(request).is_authenticated:
            raise RuntimeError("the session was refused")

    token_authenticate()  # warm: the token is cached, its last use written
    _say("token, cached:     ", _ms(_time(token_authenticate, rounds)))
    _say("token, not cached: ", _ms(_time(token_authenticate, rounds // 4, before=cache.clear)))
    token_authenticate()
    _say("session:           ", _ms(_time(session_authenticate, rounds)))

    client_token, client_session = Client(**header), Client()
    client_session.force_login(user)
    for client in (client_token, client_session):
        if client.get("/api/v1/me/").status_code != 200:
            raise RuntimeError("GET /api/v1/me/ failed")
    _say("GET /me, token:    ", _ms(_time(lambda: client_token.get("/api/v1/me/"), rounds // 4)))
    _say("GET /me, session:  ", _ms(_time(lambda: client_session.get("/api/v1/me/"), rounds // 4)))


if __name__ == "__main__":
    main()
