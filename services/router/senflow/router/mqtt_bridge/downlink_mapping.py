"""What one record of `senflow.downlinks.v1` asks of the MQTT bridge. Pure.

Only an MQTT device's downlink whose status is `executing` is for the bridge: it is
published to the device's `<prefix>/<client id>/down` (`mapping.downlink_topic`), unless
it has expired meanwhile (the registry expires it), or its client id cannot make a topic
(it fails). Within one fetch, only the last record of each downlink counts: an earlier one
is superseded (e.g. `executing` then `sent`, read again by a new consumer group).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from senflow.common.downlinks import DownlinkSnapshot
from senflow.common.events import ChangeEvent
from senflow.common.serde import loads
from senflow.router.downlink_payload import DevicePayload, device_payload
from senflow.router.mqtt_bridge.errors import InvalidMqttTopic
from senflow.router.mqtt_bridge.mapping import downlink_topic


@dataclass(frozen=True, slots=True)
class PublishDownlink:
    downlink_id: str
    device_id: str
    topic: str
    payload: DevicePayload = field(repr=False)
    expires_at: datetime

    def expiry_s(self, now: datetime) -> int:
        """Whole seconds it has left (0 once expired)."""
        return max(0, math.ceil((self.expires_at - now).total_seconds()))


@dataclass(frozen=True, slots=True)
class FailDownlink:
    """It can never be published: reported `failed` with the reason."""

    downlink_id: str
    device_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class ExpiredDownlink:
    downlink_id: str
    device_id: str


DownlinkAction = PublishDownlink | FailDownlink | ExpiredDownlink


def downlink_action(value: bytes | None, topic_prefix: str, now: datetime) -> DownlinkAction | None:
    """What the record asks for; None when it is nothing for the bridge. Raises
    `ContractError` for a record that is not a downlink change event."""
    if value is None:
        return None  # a tombstone: the downlink was deleted
    downlink = loads(ChangeEvent[DownlinkSnapshot], value).snapshot
    if downlink is None or downlink.network_type != "MQTT" or downlink.status != "executing":
        return None
    if downlink.expires_at <= now:
        return ExpiredDownlink(downlink.id, downlink.device_id)
    try:
        topic = downlink_topic(topic_prefix, downlink.identifier)
    except InvalidMqttTopic as err:
        return FailDownlink(downlink.id, downlink.device_id, err.detail)
    payload = device_payload(downlink)
    if payload is None:
        return FailDownlink(downlink.id, downlink.device_id, "executing without an encoded payload")
    return PublishDownlink(downlink.id, downlink.device_id, topic, payload, downlink.expires_at)


class Keyed(Protocol):
    @property
    def key(self) -> bytes | None: ...


R = TypeVar("R", bound=Keyed)


def latest_per_key(records: Sequence[R]) -> list[R]:
    """The last record of each key, in their order (records without a key all stay)."""
    last = {r.key: i for i, r in enumerate(records) if r.key is not None}
    return [r for i, r in enumerate(records) if r.key is None or last[r.key] == i]
