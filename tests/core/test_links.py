"""core.links.url_of formats the URLs `reverse()` gives, from one `reverse()`."""

from django.urls import reverse

from core.links import url_of


def test_url_of_gives_what_reverse_gives():
    url = url_of("spaces:site-detail")

    assert [url(pk) for pk in (1, 42, 987654321987)] == [
        reverse("spaces:site-detail", args=[pk]) for pk in (1, 42, 987654321987)
    ]
