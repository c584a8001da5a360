"""Outbound address policy: no loopback, private or link-local targets unless allowed.

Stops a customer from pointing a destination at the platform's own network (SSRF).
"""

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network

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
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as err:
            raise EgressRefused(f"cannot resolve {host}: {err}") from err
        for *_, sockaddr in infos:
            if not self.permits(str(sockaddr[0])):
                raise EgressRefused(f"{host} resolves to {sockaddr[0]}, which is not allowed")
