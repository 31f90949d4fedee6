"""Which URLs a webhook may reach: no loopback, private, link-local, metadata or other non-public address,
unless the operator allows the host in ``WEBHOOK_ALLOWED_HOSTS`` (host names, addresses or CIDR ranges), which
also allows plain ``http`` to it. Checked when an endpoint is saved and again at every send (DNS can change)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class UrlRefused(Exception):
    """The URL must not be requested; the message says why."""


def _allowed() -> tuple[set[str], list]:
    names, networks = set(), []
    for item in settings.WEBHOOK_ALLOWED_HOSTS:
        item = item.strip().lower()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            names.add(item.rstrip("."))
    return names, networks


def _address(text: str):
    try:
        address = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address


def host_allowed(host: str) -> bool:
    """Whether the operator allows this host (by name, address or range)."""
    names, networks = _allowed()
    host = host.lower().rstrip(".")
    if host in names:
        return True
    address = _address(host)
    return address is not None and any(address in network for network in networks)


def address_refused(address) -> bool:
    """A non-public address (loopback, private, link-local incl. 169.254.169.254, shared, reserved...) that the
    operator has not allowed."""
    _, networks = _allowed()
    if any(address in network for network in networks):
        return False
    return not address.is_global or address.is_multicast


def url_problems(url: str) -> list[str]:
    """What is wrong with a URL when it is saved (no DNS look-up: that happens at send time)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return ["Not a valid URL."]
    if parts.scheme not in ("https", "http") or not host:
        return ["Must be an https:// URL with a host."]
    if parts.username or parts.password:
        return ["Must not contain a user name or password."]
    if host_allowed(host):
        return []
    if parts.scheme != "https":
        return ["Must use https (plain http only for hosts the operator allows in WEBHOOK_ALLOWED_HOSTS)."]
    address = _address(host)
    if host == "localhost" or host.endswith(".localhost") or (address is not None and address_refused(address)):
        return ["Must not point at a loopback, private, link-local or metadata address."]
    return []


def url_check_at_send(url: str) -> None:
    """Resolve the URL's host now and refuse it if any address it resolves to is not allowed; then the rules
    of a saved URL (scheme, credentials) apply again, since the operator's allowed hosts may have changed."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise UrlRefused("Not a valid URL.") from error
    if host and not host_allowed(host):
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            raise UrlRefused(f"Cannot resolve {host}: {error}") from error
        for info in infos:
            address = _address(info[4][0])
            if address is None or address_refused(address):
                raise UrlRefused(f"{host} resolves to {info[4][0]}, a non-public address that is not allowed.")
    problems = url_problems(url)
    if problems:
        raise UrlRefused(problems[0])
