"""The bridge's MQTT client (aiomqtt): a persistent MQTT v5 session whose messages the
bridge acknowledges itself.

aiomqtt 2.5.1 cannot acknowledge manually (empicano/aiomqtt#345; PR #346 is still open),
but paho-mqtt 2.x underneath can: after `manual_ack_set(True)` its `_handle_publish`
sends no PUBACK for an incoming QoS 1 message, and `ack(mid, qos)` sends it later. Both
are reached through aiomqtt's private `_client`; this module is the only place that does.
"""

import ssl

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from senflow.router.mqtt_bridge.settings import MqttBridgeSettings

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


def _tls_context(settings: MqttBridgeSettings) -> ssl.SSLContext:
    ca_file = str(settings.tls_ca_file) if settings.tls_ca_file else None
    return ssl.create_default_context(cafile=ca_file)  # verifies the certificate and host
