"""Where a webhook may point: `https://` (plain `http://` too outside production), and never at a
private, loopback, link-local or otherwise internal address (an admin's URL must not reach the
services behind Titan), unless WEBHOOKS_ALLOW_PRIVATE (tests, a private network on purpose).
Checked when an endpoint is saved and again before every delivery, against every address the host
resolves to then (a name that resolved to a public address once may not any more)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from flask import current_app

from titan.common.exceptions import InvalidInput


def refuse(reason, message):
    return InvalidInput(reason, message, field="url")


def check_target(url, *, resolve=True):
    """Raise InvalidInput (field `url`) unless Titan may deliver to `url`."""
    parts = urlsplit(url)
    allowed_schemes = ("https",) if current_app.config["ENV_NAME"] == "production" else ("https", "http")
    if parts.scheme not in allowed_schemes:
        raise refuse("webhook_scheme", f"The URL must start with {' or '.join(s + '://' for s in allowed_schemes)}.")
    if not parts.hostname or parts.username or parts.password:
        raise refuse("webhook_host", "The URL needs a host name, without a user name or password.")
    if current_app.config["WEBHOOKS_ALLOW_PRIVATE"]:
        return
    for address in addresses_of(parts.hostname, parts.port, resolve=resolve):
        if not address.is_global or address.is_multicast:
            raise refuse("webhook_private", "The URL points at a private, loopback or reserved address.")


def addresses_of(host, port, *, resolve):
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    if not resolve:
        return []
    try:
        found = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise refuse("webhook_unresolvable", "The URL's host name does not resolve.") from None
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]
