"""core.memo: an answer asked several times in a request is computed once, never across requests,
and forgotten when a membership changes within the request."""

import pytest
from django.http import HttpResponse

from accounts.selectors import user_is_territory_admin
from core.memo import RequestMemoMiddleware, remembered
from tests.factories import MembershipFactory, UserFactory


def _in_request(view):
    """Run `view()` inside a request's memo, as the middleware does."""
    answers = []

    def get_response(_request):
        answers.append(view())
        return HttpResponse()

    RequestMemoMiddleware(get_response)(object())
    return answers[0]


def test_outside_a_request_nothing_is_remembered():
    calls = []
    for _ in range(2):
        remembered("key", lambda: calls.append(1))
    assert len(calls) == 2


def test_within_a_request_once_and_not_in_the_next():
    calls = []

    def ask():
        return [remembered("key", lambda: calls.append(1) or len(calls)) for _ in range(3)]

    assert _in_request(ask) == [1, 1, 1]
    assert _in_request(ask) == [2, 2, 2]


@pytest.mark.django_db
def test_territory_admin_asked_once_per_request(django_assert_num_queries):
    user = UserFactory()

    def ask():
        with django_assert_num_queries(1):
            return [user_is_territory_admin(user) for _ in range(4)]

    assert _in_request(ask) == [False] * 4


@pytest.mark.django_db
def test_a_membership_made_in_the_request_is_seen(epci):
    user = UserFactory()

    def ask():
        before = user_is_territory_admin(user)
        MembershipFactory(user=user, organisation=epci)
        return before, user_is_territory_admin(user)

    assert _in_request(ask) == (False, True)
