import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_erp_types(value: object) -> None:
    from spaces.models import ErpType

    if not isinstance(value, list) or any(item not in ErpType.values for item in value):
        raise ValidationError(
            _(
                "Choose ERP types from the official list (J, L, M, N, O, P, R, S, T, U, V, W, X, Y)."
            ),
            code="erp_type_invalid",
        )


def default_booking_kinds() -> list[str]:
    return ["ess", "commune", "epci", "other"]


def validate_organisation_kinds(value: object) -> None:
    from accounts.models import OrganisationKind

    if not isinstance(value, list) or any(item not in OrganisationKind.values for item in value):
        raise ValidationError(
            _("Choose kinds of organisation from the list."), code="organisation_kind_invalid"
        )


# One DNS label: letters, digits and inner hyphens (an internationalised name arrives here in
# its ASCII "xn--" form). Nothing else can reach a Content-Security-Policy header from here.
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1"}
_DEFAULT_PORTS = {"https": 443, "http": 80}


def origin_normalise(value: str) -> str:
    """The origin of a website, `https://host[:port]`, in its one spelling (lower case, ASCII host,
    no default port), from what a person typed; ValidationError if it is not one.

    It ends up in the widget page's `frame-ancestors` directive, so it is strict: no wildcard, no
    path, query or credentials, no space or control character; `http://` only for the machine
    itself (localhost, 127.0.0.1), where a developer tries the snippet out.
    """
    text = value.strip()
    if not text or len(text) > 300 or any(ch.isspace() or not ch.isprintable() for ch in text):
        raise _origin_error()
    if "*" in text:
        raise ValidationError(
            _("A wildcard (*) is not allowed: register each website."), code="origin_wildcard"
        )
    try:
        parts = urlsplit(text)
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError) as exc:
        raise _origin_error() from exc
    scheme = parts.scheme.lower()
    if (
        scheme not in _DEFAULT_PORTS
        or parts.username is not None
        or parts.password is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or text.endswith(("?", "#"))
    ):
        raise _origin_error()
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise _origin_error()
    host = ".".join(labels)
    if len(labels) < 2 and host not in _LOOPBACK_HOSTS:
        raise _origin_error()
    if scheme == "http" and host not in _LOOPBACK_HOSTS:
        raise ValidationError(
            _("The website must use https:// (http:// only for localhost, to try it out)."),
            code="origin_insecure",
        )
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _origin_error() -> ValidationError:
    return ValidationError(
        # fr: Indiquez l’adresse du site seule, par exemple https://www.denain.fr (sans chemin
        # après le nom de domaine).
        _("Give the website's address alone, e.g. https://www.denain.fr (no path after the name)."),
        code="origin_invalid",
    )


def origin_is_normalised(value: str) -> bool:
    """Whether `value` is an origin in the one spelling `origin_normalise` gives."""
    try:
        return origin_normalise(value) == value
    except ValidationError:
        return False
