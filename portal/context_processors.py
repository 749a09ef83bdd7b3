from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.selectors import notifications_unread_count, user_is_territory_admin


def platform(request: HttpRequest) -> dict:
    """Template flags, computed only if a template reads them."""
    return {
        "is_territory_admin": SimpleLazyObject(lambda: user_is_territory_admin(request.user)),
        "unread_notifications": SimpleLazyObject(lambda: notifications_unread_count(request.user)),
    }
