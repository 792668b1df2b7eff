"""Where outgoing webhooks may be delivered.

A partner chooses the URL, and the engine's workers POST to it from inside the deployment's
network, so an unchecked URL would let any partner make the engine call its database, the
Temporal frontend or a cloud metadata service. Deliveries therefore go to public addresses only;
a test or a deployment whose order systems live on a private network allows private targets
explicitly (`WEBHOOK_ALLOW_PRIVATE_TARGETS`)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

ALLOW_SETTING = "WEBHOOK_ALLOW_PRIVATE_TARGETS"


def is_public(address: str) -> bool:
    """True for an address on the public internet; False for loopback, private, link-local
    (cloud metadata lives there), multicast, reserved and unspecified ones."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def refusal(host: str, addresses: Iterable[str]) -> str | None:
    """Why a delivery to `host`, which resolves to `addresses`, is refused; None when every
    address is public."""
    resolved = list(addresses)
    if not resolved:
        return f"The endpoint's host {host!r} does not resolve to any address."
    private = sorted({a for a in resolved if not is_public(a)})
    if private:
        return (
            f"The endpoint's host {host!r} resolves to {', '.join(private)}, which is not a "
            f"public address; webhooks are delivered to public addresses only (set "
            f"{ALLOW_SETTING}=true where order systems live on a private network)."
        )
    return None


def literal_refusal(host: str) -> str | None:
    """At registration, refuse what is private whatever DNS says: an IP literal that is not
    public, or `localhost`. Names are resolved and checked again at every delivery, which then
    connects to the address it checked (`pinned`)."""
    bare = host.strip("[]")
    if bare.lower() == "localhost" or bare.lower().endswith(".localhost"):
        return refusal(host, ["127.0.0.1"])
    try:
        ipaddress.ip_address(bare.split("%", 1)[0])
    except ValueError:
        return None
    return refusal(host, [bare])


@dataclass(frozen=True)
class PinnedTarget:
    """A delivery to the address that was checked rather than to whatever the endpoint's name
    resolves to when the connection is made (a name can be re-pointed at a private address in
    between: DNS rebinding). The request goes to `url`, the endpoint's URL with its host replaced
    by that address, and carries the endpoint's own Host header and TLS server name, so the
    endpoint sees the request it registered for and its certificate is checked by its name."""

    url: str
    host_header: str
    server_name: str


def pinned(url: str, address: str) -> PinnedTarget:
    parts = urlsplit(url)
    userinfo, _, host_and_port = parts.netloc.rpartition("@")
    # An IPv6 address in brackets, its zone id (link-local) escaped as RFC 6874 has it.
    literal = f"[{address.replace('%', '%25')}]" if ":" in address else address
    netloc = (f"{userinfo}@" if userinfo else "") + literal
    if parts.port is not None:
        netloc += f":{parts.port}"
    return PinnedTarget(
        url=urlunsplit(parts._replace(netloc=netloc)),
        host_header=host_and_port,
        server_name=parts.hostname or "",
    )
