"""The bridge's MQTT client (aiomqtt): a persistent MQTT v5 session whose messages the
bridge acknowledges itself, and on which it publishes downlinks.

aiomqtt 2.5.1 cannot acknowledge manually (empicano/aiomqtt#345; PR #346 is still open),
but paho-mqtt 2.x underneath can: after `manual_ack_set(True)` its `_handle_publish`
sends no PUBACK for an incoming QoS 1 message, and `ack(mid, qos)` sends it later. Nor
does aiomqtt's `publish` say what the broker answered (a PUBACK's reason code, e.g. "not
authorized"); `ConfirmedPublisher` publishes through paho and keeps it. Both are reached
through aiomqtt's private `_client`; this module is the only place that does.
"""

import asyncio
import ssl
from collections.abc import Callable
from typing import Any, cast

import aiomqtt
from paho.mqtt.client import MQTT_ERR_SUCCESS
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from senflow.router.mqtt_bridge.errors import PublishRefused
from senflow.router.mqtt_bridge.settings import MqttBridgeSettings

# MQTT v5 user property naming the downlink a message carries (devices deduplicate on it).
DOWNLINK_ID_PROPERTY = "senflow-downlink-id"
_MAX_EXPIRY_S = 0xFFFFFFFF

# QoS 1; retained messages only when the subscription is new, so a reconnect (which
# subscribes again) does not bring a device's retained message back as a new uplink.
SUBSCRIBE_OPTIONS = SubscribeOptions(qos=1, retainHandling=SubscribeOptions.RETAIN_SEND_IF_NEW_SUB)


def new_client(settings: MqttBridgeSettings) -> aiomqtt.Client:
    """A client for one connection (aiomqtt keeps received messages per client object, so
    each connection gets a fresh one: nothing of a dropped connection is acknowledged on
    the next)."""
    connect = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho's own
    connect.SessionExpiryInterval = settings.session_expiry_s
    connect.ReceiveMaximum = settings.receive_maximum
    # No Maximum Packet Size on purpose: the broker would drop bigger messages unseen,
    # where the bridge dead-letters them.
    client = aiomqtt.Client(
        settings.broker_host,
        settings.broker_port,
        identifier=settings.client_id,
        username=settings.username,
        password=settings.password.get_secret_value() if settings.password else None,
        protocol=aiomqtt.ProtocolVersion.V5,
        clean_start=False,  # resume the session: its subscription and unacknowledged messages
        properties=connect,
        keepalive=settings.keepalive_s,
        tls_context=_tls_context(settings) if settings.tls else None,
    )
    # Before connecting: a resumed session's messages arrive right after the CONNACK.
    client._client.manual_ack_set(True)
    return client


async def subscribe(client: aiomqtt.Client, topic_filter: str) -> None:
    """Subscribe with QoS 1; an `MqttError` (the bridge tries again later) unless the broker
    granted QoS 1: a refusal (e.g. its ACL) or QoS 0 would lose messages."""
    # MQTT v5: the QoS is in the options (paho refuses both).
    granted = await client.subscribe(topic_filter, options=SUBSCRIBE_OPTIONS)
    if [code if isinstance(code, int) else code.value for code in granted] != [1]:
        raise aiomqtt.MqttError(f"the broker granted {granted} for {topic_filter}, not QoS 1")


def acknowledge(client: aiomqtt.Client, message: aiomqtt.Message) -> None:
    """Send the PUBACK of a QoS 1 message (nothing for QoS 0): the broker forgets it."""
    client._client.ack(message.mid, message.qos)


def content_type_of(message: aiomqtt.Message) -> str | None:
    """The MQTT v5 Content Type the publisher gave, if any."""
    value = getattr(message.properties, "ContentType", None)
    return value if isinstance(value, str) else None


def downlink_properties(downlink_id: str, content_type: str, expiry_s: int) -> Properties:
    """A downlink's PUBLISH properties: its id, media type, and a Message Expiry Interval
    (the broker drops it, unsent, once the downlink has expired)."""
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho's own
    props.ContentType = content_type
    props.MessageExpiryInterval = max(1, min(expiry_s, _MAX_EXPIRY_S))
    props.UserProperty = [(DOWNLINK_ID_PROPERTY, downlink_id)]
    return props


class ConfirmedPublisher:
    """QoS 1 publishes on one connected client, each awaited until the broker's PUBACK."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self._paho = client._client
        self._waiting: dict[int, asyncio.Future[ReasonCode]] = {}
        # aiomqtt's own (paho's version 2 callback signature); it still runs.
        inner = cast("Callable[..., None] | None", self._paho.on_publish)

        def on_publish(paho: Any, userdata: Any, mid: int, reason: ReasonCode, props: Any) -> None:
            future = self._waiting.pop(mid, None)
            if future is not None and not future.done():
                future.set_result(reason)
            if inner is not None:
                inner(paho, userdata, mid, reason, props)

        self._paho.on_publish = on_publish

    async def publish(
        self, topic: str, payload: bytes, properties: Properties, timeout_s: float
    ) -> None:
        """Publish with QoS 1, not retained. Raises `aiomqtt.MqttError` when the client is
        not connected or no PUBACK came within `timeout_s` (the connection is likely gone),
        `PublishRefused` when the PUBACK says the broker did not take it."""
        info = self._paho.publish(topic, payload, qos=1, retain=False, properties=properties)
        if info.rc != MQTT_ERR_SUCCESS:
            raise aiomqtt.MqttCodeError(info.rc, "could not publish")
        # The PUBACK is read on a later turn of the event loop: registering now is in time.
        future = asyncio.get_running_loop().create_future()
        self._waiting[info.mid] = future
        try:
            async with asyncio.timeout(timeout_s):
                reason = await future
        except TimeoutError as err:
            raise aiomqtt.MqttError(f"no PUBACK within {timeout_s} s") from err
        finally:
            self._waiting.pop(info.mid, None)
        if reason.is_failure:
            raise PublishRefused(f"the MQTT broker refused the publish: {reason}")


def _tls_context(settings: MqttBridgeSettings) -> ssl.SSLContext:
    ca_file = str(settings.tls_ca_file) if settings.tls_ca_file else None
    return ssl.create_default_context(cafile=ca_file)  # verifies the certificate and host
