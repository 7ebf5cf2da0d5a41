"""Where outbound webhooks may connect: no loopback, private, link-local or reserved hosts.

A client chooses the URL, the platform makes the request: without this check a client
could make ClickPro POST into its own network (Redis on 127.0.0.1, the cloud metadata
service on 169.254.169.254, an admin panel on 10.0.0.5). The check runs when the URL is
saved *and* when the connection is made: :class:`GuardedTransport` resolves the host
itself, refuses if any address is forbidden and connects to the address it checked, so a
DNS answer that changes between the check and the request (rebinding) gains nothing.

Every spelling of an address is caught: literals are parsed the way ``inet_aton`` does
(``2130706433``, ``127.1``, ``0177.0.0.1``, ``0x7f.1``), IPv6 literals that embed an IPv4
address (``::ffff:127.0.0.1``, NAT64, 6to4, Teredo) are judged by that address.

``OUTBOUND_WEBHOOK_ALLOW_PRIVATE`` (operator setting, off by default) lets agencies reach
an n8n or ERP on their LAN: it allows loopback, RFC 1918/ULA and CGNAT ranges; link-local
(metadata services), multicast, unspecified and reserved addresses stay refused.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import typing
from collections.abc import Iterator
from urllib.parse import urlsplit

import certifi
import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE_V4 = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
_ULA = ipaddress.ip_network("fc00::/7")


class ForbiddenAddress(httpcore.ConnectError):
    """The host resolves to an address outbound webhooks may not reach."""


class UnresolvableHost(httpcore.ConnectError):
    """The host name has no address (DNS failure)."""


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it was raised from (``__cause__`` / ``__context__``): httpx wraps
    the transport's exception, so a guard refusal is found along this chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def refused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether ``kind`` (``ForbiddenAddress``, ``UnresolvableHost``) is behind ``exc``."""
    return any(isinstance(e, kind) for e in causes(exc))


def parse_ip(host: str) -> IPAddress | None:
    """The address a literal host means, in any spelling ``inet_aton`` accepts; else None."""
    host = host.strip().strip("[]")
    if "%" in host:  # IPv6 zone id (fe80::1%eth0)
        host = host.split("%", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    return _legacy_ipv4(host)


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """``a``, ``a.b``, ``a.b.c``, ``a.b.c.d`` with decimal, octal (0…) or hex (0x…) parts."""
    parts = host.split(".")
    if parts and parts[-1] == "":
        parts.pop()  # a trailing dot is allowed
    if not 1 <= len(parts) <= 4:
        return None
    numbers: list[int] = []
    for part in parts:
        try:
            if part[:2].lower() == "0x":
                numbers.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part[1:], 8))
            else:
                numbers.append(int(part, 10))
        except ValueError:
            return None
        if not part or numbers[-1] < 0:
            return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    # IPv4-compatible (deprecated ::a.b.c.d), but not :: or ::1 themselves.
    if int(ip) >> 32 == 0 and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip))
    return None


def is_allowed(ip: IPAddress, *, allow_private: bool = False) -> bool:
    """True when outbound webhooks may connect to ``ip``."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_allowed(embedded, allow_private=allow_private)
    if ip.is_multicast or ip.is_unspecified or ip.is_link_local or ip.is_reserved:
        return False
    if ip.is_global:
        return True
    if allow_private:
        if ip.is_loopback or ip in _ULA:
            return True
        if isinstance(ip, ipaddress.IPv4Address) and (
            ip in _CGNAT or any(ip in net for net in _PRIVATE_V4)
        ):
            return True
    return False


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address of ``host`` (one lookup); literals are parsed, not looked up."""
    literal = parse_ip(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise UnresolvableHost(f"cannot resolve {host}") from exc
    addresses: list[IPAddress] = []
    for *_, sockaddr in infos:
        ip = parse_ip(str(sockaddr[0]))
        if ip is not None and ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise UnresolvableHost(f"cannot resolve {host}")
    return addresses


def checked_addresses(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """Resolve ``host``; raise :class:`ForbiddenAddress` if *any* address is forbidden.

    Refusing when one of several answers is private (rather than picking a public one)
    keeps a round-robin record from smuggling an internal address in.
    """
    addresses = resolve(host, port)
    if not all(is_allowed(ip, allow_private=allow_private) for ip in addresses):
        raise ForbiddenAddress(f"{host} resolves to a forbidden address")
    return addresses


def check_url(url: str, *, allow_private: bool, resolve_names: bool = True) -> None:
    """Raise :class:`ForbiddenAddress` / :class:`UnresolvableHost` for a URL's host.

    With ``resolve_names=False`` only literal addresses and ``localhost`` names are
    judged (used when saving: a name without DNS yet is checked again at delivery).
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    literal = parse_ip(host)
    if literal is not None:
        if not is_allowed(literal, allow_private=allow_private):
            raise ForbiddenAddress(f"{host} is a forbidden address")
        return
    name = host.rstrip(".").lower()
    if not allow_private and (name == "localhost" or name.endswith(".localhost")):
        raise ForbiddenAddress(f"{host} is loopback")
    if resolve_names:
        checked_addresses(host, port, allow_private=allow_private)


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves, checks, then connects to the checked address (never a second lookup)."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = checked_addresses(host, port, allow_private=self.allow_private)
        last_error: Exception | None = None
        for ip in addresses:
            try:
                return super().connect_tcp(
                    str(ip), port, timeout, local_address=local_address,
                    socket_options=socket_options,
                )  # fmt: skip
            except httpcore.ConnectTimeout:
                raise
            except httpcore.ConnectError as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    def connect_unix_socket(self, *args: typing.Any, **kwargs: typing.Any) -> typing.NoReturn:
        raise ForbiddenAddress("unix sockets are not allowed")


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport whose every TCP connection goes to a checked address.

    TLS still verifies the certificate against the host *name* (httpcore passes the
    origin's host as SNI / ``server_hostname``), so connecting by address is safe. The
    environment's proxy variables are ignored: a proxy would make the connection for us.
    """

    def __init__(self, *, allow_private: bool) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl.create_default_context(cafile=certifi.where()),
            max_connections=10,
            max_keepalive_connections=0,
            network_backend=_GuardedBackend(allow_private),
        )
