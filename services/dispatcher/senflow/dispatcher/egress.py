"""Outbound address policy: no loopback, private or link-local targets unless allowed.

Stops a customer from pointing a destination at the platform's own network (SSRF).
"""

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from senflow.dispatcher.errors import EgressRefused

log = logging.getLogger(__name__)

# How long a name's permitted addresses are reused before it is resolved again.
_RESOLVED_TTL_S = 30.0
# IP literals judged and kept (the policy's answer for one never changes); past this
# many, they are judged anew.
_MAX_LITERALS = 4096


class EgressPolicy:
    def __init__(self, allowed: Iterable[IPv4Network | IPv6Network]) -> None:
        self._allowed = tuple(allowed)
        self._resolved: dict[tuple[str, int], tuple[float, list[str]]] = {}
        # host -> (its address, permitted), or None when it is a name
        self._literals: dict[str, tuple[str, bool] | None] = {}

    def permits(self, address: str) -> bool:
        ip = ipaddress.ip_address(address)
        if any(ip in net for net in self._allowed):
            return True
        return ip.is_global and not ip.is_multicast

    async def check(self, host: str, port: int) -> None:
        """Raise `EgressRefused` unless every address `host` resolves to is permitted."""
        await self.resolve(host, port)

    async def resolve(self, host: str, port: int) -> list[str]:
        """The addresses of `host`, in resolver order, once every one is permitted
        (`EgressRefused` otherwise). For clients that connect to an address they are
        given: connecting to one of these is connecting where the check looked."""
        literal = self._literal(host)
        if literal is not None:  # nothing to resolve (a thread-pool round trip per delivery)
            address, permitted = literal
            if not permitted:
                raise EgressRefused(f"{host} is not an allowed address")
            return [address]
        cached = self._resolved.get((host, port))
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as err:
            raise EgressRefused(f"cannot resolve {host}: {err}") from err
        addresses = list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in infos))
        for address in addresses:
            if not self.permits(address):
                # The address itself is logged, not told: customers read these reasons.
                log.warning("egress refused: %s resolves to %s", host, address)
                raise EgressRefused(f"{host} resolves to a non-public address")
        # Only permitted answers are reused; the HTTP client's resolver still checks every
        # connection's own answer (GuardedResolver), so a cached name cannot rebind.
        self._resolved[(host, port)] = (time.monotonic() + _RESOLVED_TTL_S, addresses)
        return addresses

    def _literal(self, host: str) -> tuple[str, bool] | None:
        """`host` as an IP address and whether it is permitted, when it is one (judged
        once per host: the policy's answer for an address does not change)."""
        if host in self._literals:
            return self._literals[host]
        literal: tuple[str, bool] | None
        try:
            address = str(ipaddress.ip_address(host))
        except ValueError:
            literal = None
        else:
            literal = (address, self.permits(address))
        if len(self._literals) >= _MAX_LITERALS:
            self._literals.clear()
        self._literals[host] = literal
        return literal


class EgressBlocked(OSError):
    """Raised inside aiohttp's connector; the sink turns it into `EgressRefused`."""


class GuardedResolver(AbstractResolver):
    """The resolver the HTTP client connects with: it refuses any answer the policy does
    not permit, so a name that resolved to a public address for `check()` cannot switch
    to an internal one for the connection (DNS rebinding). aiohttp does not resolve IP
    literals, which is why `EgressPolicy.check` runs too."""

    def __init__(self, policy: EgressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            if not self._policy.permits(result["host"]):
                log.warning("egress refused: %s resolves to %s", host, result["host"])
                raise EgressBlocked(f"{host} resolves to a non-public address")
        return results

    async def close(self) -> None:
        await self._inner.close()
