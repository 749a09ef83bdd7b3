"""The session engine (SESSION_ENGINE): Django's database sessions, read by one compiled and
prepared query.

Every signed-in request reads its session row. Django builds and compiles that query anew
each time (~0.35 ms of CPU, more than the query itself); this store runs it compiled once per
process and, on PostgreSQL, prepared once per connection (core/compiled.py: a primary-key
lookup, whose plan cannot depend on the values). Writing, expiry and the table are Django's.

Sessions signed in before `accounts.backends.UserBackend` name Django's ModelBackend, which it
replaced; they are read as naming it, so nobody is signed out by the change.
"""

from datetime import datetime

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.compiled import CompiledQuery

USER_BACKEND = "accounts.backends.UserBackend"
REPLACED_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _session(key: str, now: datetime):
    return Session.objects.filter(session_key=key, expire_date__gt=now)


_SESSION = CompiledQuery(_session, prepare=True, key=str, now=datetime)


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Session | None:
        found = _SESSION.run(key=self.session_key, now=timezone.now())
        if not found:
            self._session_key = None
            return None
        return found[0]

    def load(self) -> dict:
        data = super().load()
        if data.get(BACKEND_SESSION_KEY) == REPLACED_BACKEND:
            data[BACKEND_SESSION_KEY] = USER_BACKEND
        return data
