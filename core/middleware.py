from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers


class ContentSecurityPolicyMiddleware:
    """Send a strict Content-Security-Policy: no inline script, no third-party code.

    Pages load only their own static files; the map may load tiles from the configured server.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # The API's documentation pages (Swagger UI) need their own inline bootstrap code.
        if not request.path.startswith(("/api/docs", "/admin/")):
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


def content_security_policy(**extra: list[str]) -> str:
    """The site's policy, with `extra` sources per directive for the one page that needs them
    (the card payment page loads Stripe.js: `script_src=[…]`, `frame_src=[…]`…)."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", url_origin(settings.MAP_TILE_URL)],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    for name, sources in extra.items():
        directive = name.replace("_", "-")
        directives[directive] = [*directives.get(directive, ["'self'"]), *sources]
    return "; ".join(
        " ".join([name, *dict.fromkeys(filter(None, sources))])
        for name, sources in directives.items()
    )


def url_origin(url: str) -> str:
    if "://" not in url:
        return ""
    scheme, rest = url.split("://", 1)
    host = rest.split("/", 1)[0]
    if "{s}" in host:
        host = "*." + host.split(".", 1)[1]
    return f"{scheme}://{host}"


class LanguageMiddleware:
    """French unless the visitor chose English with the language switcher.

    The browser's Accept-Language is deliberately ignored: the platform is a French public
    service whose interface is French by default (English is available on request).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language
        # override(), not activate(): the thread's language is restored afterwards, so nothing
        # rendered outside a request (e-mails from a job, a test) inherits a visitor's choice.
        with translation.override(language):
            response = self.get_response(request)
        patch_vary_headers(response, ["Cookie"])
        response.headers.setdefault("Content-Language", language)
        return response
