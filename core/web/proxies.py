"""The client's address, believed from proxy headers only when a trusted proxy sent them.

`TRUSTED_PROXIES` (settings, env `TRUSTED_PROXIES`) lists the networks of the reverse proxies in
front of the web nodes; empty (the default) trusts none. For a request whose peer is a trusted
proxy, the client is the right-most address in `X-Forwarded-For` that is not itself a trusted
proxy: the proxy appends the address it saw, and anything left of it is whatever the client
wrote. `X-Forwarded-Proto` (SECURE_PROXY_SSL_HEADER) is likewise kept only from a trusted proxy.

The middleware runs first, so REMOTE_ADDR is the client everywhere after it: throttles, the
sign-in lockout (django-axes), /metrics' network check and the logs.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

from core.web.middleware import RequestResponseMiddleware

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"
FORWARDED_PROTO = "HTTP_X_FORWARDED_PROTO"


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


def address_in(address: str, cidrs) -> bool:
    """Whether the address is in one of the networks; False for anything that is not an address."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(cidrs)))


def client_address(meta: dict) -> str:
    """The client's address from a request's META (REMOTE_ADDR is the socket's peer)."""
    peer = meta.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXIES
    if not trusted or not address_in(peer, trusted):
        return peer
    client = peer
    for hop in reversed(meta.get(FORWARDED_FOR, "").split(",")):
        hop = hop.strip()
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # garbage from the client's side of the header: the last good hop is the client
        client = hop
        if not address_in(hop, trusted):
            break
    return client


def request_client_address(request) -> str:
    """The client's address of a request the middleware below has seen (django-axes' AXES_CLIENT_IP_CALLABLE)."""
    return request.META.get("REMOTE_ADDR", "")


class TrustedProxyMiddleware(RequestResponseMiddleware):
    """REMOTE_ADDR becomes the client's address; proxy headers from anyone else are dropped."""

    def on_request(self, request) -> None:
        meta = request.META
        if settings.TRUSTED_PROXIES and address_in(meta.get("REMOTE_ADDR", ""), settings.TRUSTED_PROXIES):
            meta["REMOTE_ADDR"] = client_address(meta)
        else:
            # Not from our proxy: a forged X-Forwarded-Proto must not make a request look like HTTPS.
            meta.pop(FORWARDED_FOR, None)
            meta.pop(FORWARDED_PROTO, None)
