"""The authentication backend: Django's ModelBackend, whose `get_user` (run by every
signed-in request) reads the user by one compiled and prepared query instead of compiling the
ORM's anew each time (~0.25 ms of CPU; core/compiled.py). Passwords and permissions are
ModelBackend's."""

from django.contrib.auth.backends import ModelBackend

from accounts.models import User
from core.compiled import CompiledQuery

_USER = CompiledQuery(lambda pk: User._default_manager.filter(pk=pk), prepare=True, pk=int)


class UserBackend(ModelBackend):
    def get_user(self, user_id: int) -> User | None:
        try:
            found = _USER.run(pk=int(user_id))
        except (TypeError, ValueError):  # not an id: nobody
            return None
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None
