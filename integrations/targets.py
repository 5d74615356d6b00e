"""Where a webhook may be sent: the URL rules and the server-side request forgery guard.

A sponsor lead types a URL; the portal's workers then POST to it from inside the CDMO's network.
Without a guard that URL could be the metadata service (169.254.169.254), the database, or an
admin page on localhost. So a URL must be https (plain http only when `WEBHOOKS_ALLOW_HTTP`,
which DEBUG turns on), and every address its host resolves to must be a public one: private,
loopback, link-local, multicast, reserved and unspecified addresses are refused unless
`WEBHOOKS_ALLOW_PRIVATE` (tests, a closed on-premises installation).

The rule is checked when the endpoint is registered AND when each request is sent, and the
request connects to the very address that passed the check (`Target.address`), so a name that
resolves to a public address at registration and to 127.0.0.1 a minute later (DNS rebinding)
is refused instead of followed.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from portal.errors import Invalid

URL_FIELD = "url"
NOT_A_URL = "Enter a full URL, such as https://hooks.example.com/portal."
NOT_HTTPS = "Use an https:// URL: events carry your programs' data."
NO_CREDENTIALS = "Leave the user name and password out of the URL; requests are signed instead."
BAD_PORT = "The URL's port is not valid."
DOES_NOT_RESOLVE = "The host {host} does not resolve to an address."
PRIVATE_ADDRESS = (
    "The host {host} resolves to {address}, a private, loopback, link-local or reserved "
    "address: webhooks go to public addresses only."
)


@dataclass(frozen=True)
class Target:
    """A URL that passed the rules, with the address to connect to."""

    scheme: str
    host: str
    port: int
    path: str  # with the query string
    address: str


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def _parse(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise Invalid(NOT_A_URL, field=URL_FIELD) from None
    try:
        port = parts.port
    except ValueError:
        raise Invalid(BAD_PORT, field=URL_FIELD) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(NOT_A_URL, field=URL_FIELD)
    if scheme == "http" and not settings.WEBHOOKS_ALLOW_HTTP:
        raise Invalid(NOT_HTTPS, field=URL_FIELD)
    if parts.username or parts.password:
        raise Invalid(NO_CREDENTIALS, field=URL_FIELD)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def _addresses(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def check(url: str) -> Target:
    """The target of `url`, or `Invalid` naming the `url` field and saying what is wrong."""
    scheme, host, port, path = _parse(url)
    addresses = _addresses(host, port)
    if not addresses:
        raise Invalid(DOES_NOT_RESOLVE.format(host=host), field=URL_FIELD)
    if not settings.WEBHOOKS_ALLOW_PRIVATE:
        for address in addresses:
            if not _is_public(address):
                message = PRIVATE_ADDRESS.format(host=host, address=address)
                raise Invalid(message, field=URL_FIELD)
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])
