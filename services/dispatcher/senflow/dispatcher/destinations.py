"""The destinations the dispatcher delivers to, followed from the registry's topic."""

import logging

from senflow.common.errors import ContractError
from senflow.common.events import ChangeEvent, DestinationSnapshot
from senflow.common.serde import loads

log = logging.getLogger(__name__)


class DestinationView:
    """Destinations by id; stale versions (replays, duplicates) are ignored."""

    def __init__(self) -> None:
        self._destinations: dict[str, DestinationSnapshot] = {}
        self._versions: dict[str, int] = {}

    def get(self, destination_id: str) -> DestinationSnapshot | None:
        return self._destinations.get(destination_id)

    def apply(self, _topic: str, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        did = key.decode()
        if value is None:
            self._destinations.pop(did, None)
            self._versions.pop(did, None)
            return
        try:
            event = loads(ChangeEvent[DestinationSnapshot], value)
        except ContractError as err:
            log.error("skipping unreadable destination record %s: %s", did, err)
            return
        if event.snapshot is None or event.entity_version <= self._versions.get(did, 0):
            return
        self._versions[did] = event.entity_version
        self._destinations[did] = event.snapshot
