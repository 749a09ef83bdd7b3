from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portal.selectors import request_pending_count, request_roles


def platform(request: HttpRequest) -> dict:
    """Template flags, computed only if a template reads them: the roles and the unread count
    in one query, the count of requests to decide in two more for those who decide."""
    roles = SimpleLazyObject(lambda: request_roles(request))
    return {
        "user_roles": roles,
        "is_territory_admin": SimpleLazyObject(lambda: roles.territory),
        "unread_notifications": SimpleLazyObject(lambda: roles.unread),
        "pending_to_decide": SimpleLazyObject(lambda: request_pending_count(request)),
    }
