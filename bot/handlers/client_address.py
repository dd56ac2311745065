"""The address a request came from, read through the reverse proxies pintu trusts.

`X-Forwarded-For` is read only when the peer itself is a trusted proxy, and
then from the right: each proxy appends the address it saw, so the rightmost
address that is not a trusted proxy is the first one nobody trusted could
have forged. An address a client wrote further left is never believed.
IPv6 clients are keyed by their /64 network: one subscriber usually holds
a whole /64 and could otherwise change address at will.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from starlette.requests import Request

Network = IPv4Network | IPv6Network
UNKNOWN = "unknown"  # no peer address (a test transport, a unix socket)


def client_address(request: Request, trusted: Sequence[Network]) -> str:
    """The client's address as a key: an IPv4 address or an IPv6 /64 network."""
    peer = _parse(request.client.host) if request.client else None
    if peer is None:
        return UNKNOWN
    found = peer
    if _trusted(peer, trusted):
        hops = [
            hop.strip()
            for value in request.headers.getlist("x-forwarded-for")
            for hop in value.split(",")
        ]
        for hop in reversed(hops):
            address = _parse(hop)
            if address is None:
                break  # garbage where an address belongs: believe nothing further left
            found = address
            if not _trusted(address, trusted):
                break
    return _key(found)


def _parse(text: str) -> IPv4Address | IPv6Address | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPv4Address | IPv6Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


def _key(address: IPv4Address | IPv6Address) -> str:
    if isinstance(address, IPv6Address):
        return str(IPv6Network((address, 64), strict=False))
    return str(address)
