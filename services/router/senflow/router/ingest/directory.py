"""The devices the ingest can authenticate: followed live from the registry's device topic."""

import logging

from senflow.common import topics
from senflow.common.compacted_view import CompactedTopicView
from senflow.common.errors import SecretError
from senflow.common.events import DeviceSnapshot
from senflow.common.secrets import open_sealed
from senflow.common.uplinks import DirectNetworkType
from senflow.router.view import RegistryView

log = logging.getLogger(__name__)


class DeviceDirectory:
    """Devices by network identifier, with their shared secrets opened on first use."""

    def __init__(self, bootstrap: str, secrets_key: bytes) -> None:
        self._view = RegistryView()
        self._follower = CompactedTopicView(bootstrap, (topics.REGISTRY_DEVICES,), self._view.apply)
        self._key = secrets_key
        self._opened: dict[str, tuple[str, str]] = {}  # device id -> (sealed, opened)

    @property
    def loaded(self) -> bool:
        return self._follower.loaded

    async def start(self, load_timeout_s: float) -> None:
        await self._follower.start(load_timeout_s)

    async def stop(self) -> None:
        await self._follower.stop()

    async def find(self, network_type: DirectNetworkType, identifier: str) -> DeviceSnapshot | None:
        """The device, also when the registry published it a moment ago."""
        device = self._view.device_by_network(network_type, identifier)
        if device is None:
            await self._follower.catch_up(None)
            device = self._view.device_by_network(network_type, identifier)
        return device

    def secret(self, device: DeviceSnapshot, network_type: DirectNetworkType) -> str | None:
        """The device's shared secret on this network; None when it has none (or it does
        not open, which is logged: the key is not the registry's)."""
        sealed = next(
            (i.sealed_secret for i in device.network_info if i.network_type == network_type),
            None,
        )
        if sealed is None:
            return None
        cached = self._opened.get(device.id)
        if cached is not None and cached[0] == sealed:
            return cached[1]
        try:
            secret = open_sealed(self._key, sealed, bound_to=device.id)
        except SecretError as err:
            log.error("cannot open a device secret: %s", err, extra={"device_id": device.id})
            return None
        self._opened[device.id] = (sealed, secret)
        return secret
