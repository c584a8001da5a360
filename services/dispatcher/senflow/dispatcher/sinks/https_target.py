"""What an HTTPS delivery needs of its destination, worked out once per version of the
destination instead of once per delivery: the opened secret and credential (AES-GCM), the
static and authentication headers, where to check egress, the timeout.

A version is the snapshot object the destination view holds: a change to the destination
is a new snapshot, so it is worked out anew at its first delivery. The plaintexts stay in
this process's memory, as the platform key that opens them does anyway.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from senflow.common.events import DestinationSnapshot, HttpsConfig
from senflow.common.secrets import credential_binding, open_sealed
from senflow.dispatcher.errors import DeliveryFailed
from senflow.dispatcher.sinks.https_auth import auth_headers, layered

# Destinations worked out and kept; past this the oldest is forgotten (and redone if used).
MAX_TARGETS = 10_000


@dataclass(frozen=True)
class HttpsTarget:
    snapshot: DestinationSnapshot  # the version this was worked out from
    config: HttpsConfig
    host: str
    port: int
    secret: str
    headers: dict[str, str]  # static, then authentication (see `https_auth.layered`)
    timeout: aiohttp.ClientTimeout


class HttpsTargets:
    def __init__(self, secrets_key: bytes, timeout_s: float) -> None:
        self._key = secrets_key
        self._timeout_s = timeout_s
        self._targets: dict[str, HttpsTarget] = {}

    def of(self, destination: DestinationSnapshot) -> HttpsTarget:
        """The destination's target; `DeliveryFailed` (not retriable) when misconfigured."""
        target = self._targets.get(destination.id)
        if target is None or target.snapshot is not destination:
            target = self._work_out(destination)
            self._targets.pop(destination.id, None)
            if len(self._targets) >= MAX_TARGETS:
                del self._targets[next(iter(self._targets))]
            self._targets[destination.id] = target
        return target

    def _work_out(self, destination: DestinationSnapshot) -> HttpsTarget:
        cfg = destination.config
        if not isinstance(cfg, HttpsConfig) or destination.sealed_secret is None:
            raise DeliveryFailed("destination-misconfigured", destination.id, retriable=False)
        url = urlsplit(cfg.url)
        secret = open_sealed(self._key, destination.sealed_secret, bound_to=destination.id)
        credential = None
        if destination.sealed_credential is not None:
            binding = credential_binding(destination.id)
            credential = open_sealed(self._key, destination.sealed_credential, bound_to=binding)
        return HttpsTarget(
            snapshot=destination,
            config=cfg,
            host=url.hostname or "",
            port=url.port or (443 if url.scheme == "https" else 80),
            secret=secret,
            headers=layered(cfg.headers, auth_headers(cfg.auth, credential)),
            timeout=aiohttp.ClientTimeout(total=min(cfg.timeout_s, self._timeout_s)),
        )
