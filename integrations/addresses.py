"""Where a webhook may be sent: the guard against server-side request forgery.

An endpoint's URL is chosen by an organisation, and the platform's workers post to it: without
a guard, an address such as http://169.254.169.254/ (a cloud's metadata service), 127.0.0.1 or a
host of the internal network would let anyone make the server call its own neighbours. So:
https only, and every address the host resolves to must be public (not private, loopback,
link-local, multicast, reserved or unspecified). The check runs when the URL is saved and again
at each sending, on the addresses the connection then uses (`resolve_public`): a name that
resolved to a public address at registration and to 127.0.0.1 since (DNS rebinding) is refused,
and the connection goes to the very address checked. Redirects are never followed.

Two settings relax this for development and the tests' local receiver, never for production:
WEBHOOK_ALLOW_HTTP and WEBHOOK_ALLOW_PRIVATE_HOSTS.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_link_local
    )


def url_check(url: str) -> tuple[str, str, int]:
    """The scheme, host and port of `url` if the platform may post to it (scheme and shape
    only: `resolve_public` checks the addresses). Raises ValidationError with a French reason."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ValidationError(_("This address is not a valid URL.")) from error
    allowed = {"https", "http"} if settings.WEBHOOK_ALLOW_HTTP else {"https"}
    if parts.scheme not in allowed:
        raise ValidationError(_("The address must begin with https://."))
    host = parts.hostname or ""
    if not host or parts.username or parts.password:
        # fr: L'adresse doit nommer un serveur, sans identifiant ni mot de passe.
        raise ValidationError(_("The address must name a host, without a user or a password."))
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def resolve_public(host: str, port: int) -> str:
    """An address of `host` to connect to, after checking that every address it resolves to is
    public (unless WEBHOOK_ALLOW_PRIVATE_HOSTS). Raises ValidationError."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        # fr: Ce nom de serveur est introuvable.
        raise ValidationError(_("This host name cannot be found.")) from error
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise ValidationError(_("This host name cannot be found."))
    if not settings.WEBHOOK_ALLOW_PRIVATE_HOSTS and not all(map(_is_public, addresses)):
        raise ValidationError(
            # fr: Cette adresse mène à un réseau privé ou réservé : seules les adresses
            # publiques sont acceptées.
            _(
                "This address leads to a private or reserved network: only public addresses are accepted."
            )
        )
    return str(addresses[0])


def url_validate(url: str) -> None:
    """Raise ValidationError unless the platform may post to `url` now (shape and addresses)."""
    _scheme, host, port = url_check(url)
    resolve_public(host, port)
