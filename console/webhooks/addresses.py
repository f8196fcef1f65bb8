"""Where a webhook may go: http(s) URLs whose every address is public, checked when an
endpoint is registered and again on the address each delivery actually connects to."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

SCHEMES = ("http", "https")
MAX_URL_LENGTH = 500

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(ValueError):
    """The URL is malformed or leads to an address the console may not call.

    `code` is one of "url" (not an http(s) URL with a host), "unresolved" (the name does
    not resolve) or "private" (an address is private, loopback, link-local or reserved).
    """

    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)


def is_public(address: Address) -> bool:
    """False for loopback, private, link-local, multicast, reserved and unspecified
    addresses, and for IPv6 forms that carry such an IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None and not is_public(embedded):
            return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def parse(url: str) -> tuple[str, int]:
    """The host and port of an http(s) URL; AddressRefused("url") otherwise."""
    if not url or len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
        raise AddressRefused("url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise AddressRefused("url", str(error)) from None
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise AddressRefused("url")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to (a literal address is itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]").split("%", 1)[0])]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise AddressRefused("unresolved", host) from error
    addresses = []
    for _family, _type, _proto, _name, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise AddressRefused("unresolved", host)
    return addresses


def check(url: str, *, allow_private: bool) -> None:
    """Raise AddressRefused unless `url` is an http(s) URL whose every address may be
    called (any address when `allow_private`)."""
    host, port = parse(url)
    addresses = resolve(host, port)
    if allow_private:
        return
    refused = [str(address) for address in addresses if not is_public(address)]
    if refused:
        raise AddressRefused("private", ", ".join(refused))


# ---------------------------------------------------------------- at delivery time
# The check above resolves the name once; the name may resolve elsewhere a moment later
# (DNS rebinding). Deliveries check the address of the socket they actually connected.


def _check_peer(sock: Any) -> None:
    peer = ipaddress.ip_address(str(sock.getpeername()[0]).split("%", 1)[0])
    if not is_public(peer):
        sock.close()
        raise AddressRefused("private", str(peer))


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> Any:
        sock = super()._new_conn()
        _check_peer(sock)
        return sock


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> Any:
        sock = super()._new_conn()
        _check_peer(sock)
        return sock


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class PublicOnlyAdapter(HTTPAdapter):
    """A requests adapter whose connections are refused unless their peer is public."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }
