"""What one MQTT message becomes on Kafka: a `DeviceUplink`, or a dead letter. Pure.

A device publishes to `<prefix>/<client id>/up`; the client id in the topic names the
device (the broker's ACL makes sure it is the publisher's own). The record is keyed by
`MQTT:<client id>`, so one device's uplinks stay in order. A message that cannot be an
uplink is kept on the uplink dead-letter topic, keyed by its MQTT topic, with its payload
(the first `MAX_DIRECT_PAYLOAD_BYTES` of it) and its cause in headers. The other way,
a device's downlinks go to `<prefix>/<client id>/down` (`downlink_topic`).
"""

import base64
import re
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from senflow.common import headers as h
from senflow.common import topics
from senflow.common.serde import dumps
from senflow.common.uplinks import MAX_DIRECT_PAYLOAD_BYTES, DeviceUplink
from senflow.router.mqtt_bridge.errors import (
    InvalidMqttTopic,
    InvalidUplink,
    PayloadTooLarge,
    UplinkRejected,
)

# The registry's rule for an MQTT client id (senflow.registry.domain.rules).
CLIENT_ID = re.compile(r"^[0-9A-Za-z._:-]{1,128}$")
UPLINK_LEVEL = "up"
DOWNLINK_LEVEL = "down"
_HEADER_TEXT_MAX = 1000


@dataclass(frozen=True)
class OutboundRecord:
    """The Kafka record for one MQTT message."""

    topic: str
    key: bytes
    value: bytes
    headers: h.KafkaHeaders
    message_id: str
    dead_letter_reason: str | None = None  # None: an uplink on the raw device topic


def subscription(topic_prefix: str) -> str:
    """The topic filter that takes every device's uplinks."""
    return f"{topic_prefix}/+/{UPLINK_LEVEL}"


def downlink_topic(topic_prefix: str, client_id: str) -> str:
    """Where a device's downlinks go: `<prefix>/<client id>/down`; `InvalidMqttTopic` for
    a client id that would make another topic (or a filter) of it."""
    if not CLIENT_ID.match(client_id):
        raise InvalidMqttTopic(
            f"client id {client_id[:200]!r} is not 1 to 128 of letters, digits and . _ : -"
        )
    return f"{topic_prefix}/{client_id}/{DOWNLINK_LEVEL}"


def client_id_of(mqtt_topic: str, topic_prefix: str) -> str:
    """The client id in `<prefix>/<client id>/up`; `InvalidMqttTopic` otherwise."""
    head = f"{topic_prefix}/"
    client_id, slash, tail = mqtt_topic.removeprefix(head).partition("/")
    if not mqtt_topic.startswith(head) or not slash or tail != UPLINK_LEVEL:
        raise InvalidMqttTopic(f"topic is not {topic_prefix}/<client id>/{UPLINK_LEVEL}")
    if not CLIENT_ID.match(client_id):
        raise InvalidMqttTopic(
            f"client id {client_id[:200]!r} is not 1 to 128 of letters, digits and . _ : -"
        )
    return client_id


def to_record(
    mqtt_topic: str,
    payload: bytes,
    content_type: str | None,
    *,
    topic_prefix: str,
    received_at: datetime,
    message_id: str,
) -> OutboundRecord:
    """The uplink record of this message, or its dead letter (never an exception for a
    message that cannot be an uplink)."""
    try:
        uplink = _uplink(mqtt_topic, payload, content_type, topic_prefix, received_at)
    except UplinkRejected as err:
        return dead_letter(mqtt_topic, payload, message_id, err)
    return OutboundRecord(
        topic=topics.UPLINKS_RAW_DEVICE,
        key=uplink.key,
        value=dumps(uplink),
        headers=h.encode_headers({h.MESSAGE_ID: message_id}),
        message_id=message_id,
    )


def dead_letter(
    mqtt_topic: str, payload: bytes, message_id: str, err: UplinkRejected
) -> OutboundRecord:
    return OutboundRecord(
        topic=topics.UPLINKS_DEADLETTER,
        key=mqtt_topic.encode(),
        # Kafka refuses records over about 1 MB; an MQTT payload may be up to 256 MB.
        value=payload[:MAX_DIRECT_PAYLOAD_BYTES],
        headers=h.encode_headers(
            {
                h.MESSAGE_ID: message_id,
                h.DLQ_REASON: err.reason,
                h.DLQ_DETAIL: err.detail[:_HEADER_TEXT_MAX],
                h.DLQ_SOURCE: f"mqtt:{mqtt_topic}"[:_HEADER_TEXT_MAX],
            }
        ),
        message_id=message_id,
        dead_letter_reason=err.reason,
    )


def _uplink(
    mqtt_topic: str,
    payload: bytes,
    content_type: str | None,
    topic_prefix: str,
    received_at: datetime,
) -> DeviceUplink:
    client_id = client_id_of(mqtt_topic, topic_prefix)
    if len(payload) > MAX_DIRECT_PAYLOAD_BYTES:
        raise PayloadTooLarge(
            f"payload of {len(payload)} bytes is over {MAX_DIRECT_PAYLOAD_BYTES};"
            f" the first {MAX_DIRECT_PAYLOAD_BYTES} are kept"
        )
    try:
        return DeviceUplink(
            network_type="MQTT",
            identifier=client_id,
            payload_base64=base64.b64encode(payload).decode("ascii"),
            content_type=content_type,
            received_at=received_at,
            source=mqtt_topic,
        )
    except ValidationError as err:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise InvalidUplink(where) from err
