"""Outbound address policy: no loopback, private or link-local targets unless allowed.

Stops a customer from pointing a destination at the platform's own network (SSRF).
"""

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from senflow.dispatcher.errors import EgressRefused


class EgressPolicy:
    def __init__(self, allowed: Iterable[IPv4Network | IPv6Network]) -> None:
        self._allowed = tuple(allowed)

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
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as err:
            raise EgressRefused(f"cannot resolve {host}: {err}") from err
        addresses = list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in infos))
        for address in addresses:
            if not self.permits(address):
                raise EgressRefused(f"{host} resolves to {address}, which is not allowed")
        return addresses


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
                raise EgressBlocked(f"{host} resolves to {result['host']}, which is not allowed")
        return results

    async def close(self) -> None:
        await self._inner.close()
