"""Answers remembered for the length of one request.

A page asks the same permission question several times (is this user one of the territory's
people? once per permission queryset: four times on the manager's queue, an EXISTS query and
about 1 ms each). `remembered(key, compute)` answers it once per request: the memo is a context
variable that `RequestMemoMiddleware` opens at the start of each request and drops at its end,
so an answer never outlives the request (not on the user object, which a test or a shell keeps
across membership changes). Outside a request (shells, tasks, tests calling a selector) nothing
is remembered and `compute` runs every time. `forget()` empties the memo: the apps call it when
a row an answer depends on changes (accounts: a membership or a user saved or deleted).
"""

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import TypeVar

from django.http import HttpRequest, HttpResponse

T = TypeVar("T")

_answers: ContextVar[dict | None] = ContextVar("request_memo", default=None)


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, once per request for `key` (every time outside a request)."""
    answers = _answers.get()
    if answers is None:
        return compute()
    if key not in answers:
        answers[key] = compute()
    return answers[key]


def remember(key: Hashable, value: object) -> None:
    """Give `key` an answer already known (a page that computed it on its way); no-op outside
    a request."""
    answers = _answers.get()
    if answers is not None:
        answers[key] = value


def forget() -> None:
    """Drop every answer of the current request (something they depend on changed)."""
    answers = _answers.get()
    if answers is not None:
        answers.clear()


class RequestMemoMiddleware:
    """Opens an empty memo for each request and drops it when the response is returned."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _answers.set({})
        try:
            return self.get_response(request)
        finally:
            _answers.reset(token)
