import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_vary_headers

from core.http import payload_too_large
from core.storage import media_probe_url


class RequestBodyLimitMiddleware:
    """Refuse a body larger than the cap with a 413, from its Content-Length, before reading it.

    Without it an anonymous 200 MB multipart POST to the login page was spooled to disk before
    CSRF refused it. Views that take files (marked `@accepts_upload`, and the admin's forms)
    have the larger UPLOAD_BODY_MAX_BYTES. A body sent without Content-Length (chunked) is
    never read by Django (it sees an empty body), so the header is the whole story.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads such a body as empty
        if length > settings.REQUEST_BODY_MAX_BYTES:
            limit = request_body_limit(request)
            if length > limit:
                return payload_too_large(request, limit=limit)
        return self.get_response(request)


def request_body_limit(request: HttpRequest) -> int:
    """The largest body `request`'s URL accepts."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return settings.REQUEST_BODY_MAX_BYTES
    takes_files = getattr(match.func, "accepts_upload", False) or (
        match.namespace == "admin" and match.url_name != "login"
    )
    return settings.UPLOAD_BODY_MAX_BYTES if takes_files else settings.REQUEST_BODY_MAX_BYTES


def accepts_upload(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view that receives files: its requests may reach UPLOAD_BODY_MAX_BYTES."""
    view.accepts_upload = True  # type: ignore[attr-defined]
    return view


SESSION_RENEWED_AT = "_idle_renewed_at"
SESSION_RENEW_EVERY = 60  # seconds: the idle timeout is exact to the minute


class SessionIdleTimeoutMiddleware:
    """End a signed-in session after SESSION_COOKIE_AGE seconds without a request.

    Django expires a session SESSION_COOKIE_AGE after its last save; this saves a signed-in
    session again (pushing its expiry forward) when a minute has passed since the last time,
    rather than on every request as SESSION_SAVE_EVERY_REQUEST would (one write per request).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            if now - request.session.get(SESSION_RENEWED_AT, 0) >= SESSION_RENEW_EVERY:
                request.session[SESSION_RENEWED_AT] = now
        return self.get_response(request)


def session_mark_renewed(sender, request: HttpRequest, **kwargs) -> None:
    """On login (the session is saved then), start the renewal clock."""
    if hasattr(request, "session"):
        request.session[SESSION_RENEWED_AT] = int(time.time())


class PrivateCacheMiddleware:
    """Nothing answered to a signed-in user is stored by a browser or a proxy.

    One rule for every page, API answer and private file (names, bookings, documents,
    invoices): `Cache-Control: private, no-store`, whatever the view said.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response.headers["Cache-Control"] = "private, no-store"
        return response


class ContentSecurityPolicyMiddleware:
    """Send a strict Content-Security-Policy: no inline script, no third-party code; and a
    Permissions-Policy turning off the browser features no page uses.

    Pages load only their own static files; the map may load tiles from the configured server.
    The admin and Swagger UI live under the same policy (Swagger UI's bootstrap script is
    served as a file, `SpectacularSwaggerSplitView`); Redoc builds its styles at run time and
    starts a worker from a blob, so its page alone allows inline styles and blob workers.
    A view may send its own policies (the card payment page does).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy()
        self.redoc_policy = content_security_policy(
            style_src=["'unsafe-inline'"], worker_src=["blob:"]
        )
        self.permissions = permissions_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = self.redoc_policy if request.path.startswith("/api/docs/redoc") else self.policy
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", self.permissions)
        return response


def permissions_policy(**allow: list[str]) -> str:
    """settings.PERMISSIONS_POLICY as a header, with `allow` origins per feature for the one page
    that needs them (`payment=["self", "https://js.stripe.com"]`)."""
    features = {**settings.PERMISSIONS_POLICY, **allow}
    return ", ".join(
        "{}=({})".format(
            name, " ".join(origin if origin == "self" else f'"{origin}"' for origin in origins)
        )
        for name, origins in features.items()
    )


def content_security_policy(*, frame_ancestors: list[str] | None = None, **extra: list[str]) -> str:
    """The site's policy, with `extra` sources per directive for the one page that needs them
    (the card payment page loads Stripe.js: `script_src=[…]`, `frame_src=[…]`…).

    `frame_ancestors` replaces the `'none'` that keeps every other page out of frames: the
    availability widget lists the site itself and the websites its organisation registered.
    """
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Photos come from the bucket (or its CDN) when media are on S3-compatible storage.
        "img-src": [
            "'self'",
            "data:",
            url_origin(settings.MAP_TILE_URL),
            url_origin(media_probe_url()),
        ],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    if frame_ancestors is not None:
        directives["frame-ancestors"] = frame_ancestors
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
