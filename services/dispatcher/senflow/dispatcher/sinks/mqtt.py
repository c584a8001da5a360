"""MQTT broker destinations: each delivery published to the destination's topic.

Payload: the SenML pack as compact JSON (or what the destination's format script makes of
it), the very bytes an HTTPS receiver gets. With QoS 1 a delivery counts once the broker's
PUBACK arrived (aiomqtt's `publish` waits for it); QoS 0 once the packet is written. Over
MQTT 5 a publish also carries the content type (the body's) and the user properties
`senflow-message-id` and `senflow-delivery-id` (deduplicate on it); a broker that only
speaks 3.1.1 is answered in 3.1.1, without them.

One connection per destination, opened at its first delivery and kept: a changed config
or secret opens a new one, a broken one is reopened, all are closed by `stop()`. The
broker's host must pass the egress policy: the sink resolves it, checks every address
and connects to a checked one (TLS still verifies the certificate against the host
name), so the name cannot point the connection elsewhere after the check.
"""

import asyncio
import contextlib
import logging
import secrets
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

import aiomqtt
import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from senflow.common import headers as h
from senflow.common.deliveries import Delivery
from senflow.common.events import DestinationSnapshot, MqttConfig
from senflow.common.secrets import open_sealed
from senflow.dispatcher.egress import EgressPolicy
from senflow.dispatcher.errors import DeliveryFailed
from senflow.dispatcher.sinks.payload import Bodies

log = logging.getLogger(__name__)

UNSUPPORTED_PROTOCOL = 132
# CONNACK reasons that may pass: server unavailable or busy, quota or rate exceeded.
RETRIABLE_CONNACK = frozenset({136, 137, 151, 159})


class _CheckedHostContext(ssl.SSLContext):
    """Verifies the broker's certificate for `hostname` although the socket was opened to
    an address (paho would otherwise check the certificate against that address)."""

    hostname = ""

    def wrap_socket(
        self,
        sock: socket.socket,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: str | bytes | None = None,
        session: ssl.SSLSession | None = None,
    ) -> ssl.SSLSocket:
        return super().wrap_socket(
            sock, server_side, do_handshake_on_connect, suppress_ragged_eofs, self.hostname, session
        )


def verified_tls(hostname: str, cafile: str | None = None) -> ssl.SSLContext:
    """TLS verified against the system CAs (or `cafile`) and `hostname`."""
    context = _CheckedHostContext(ssl.PROTOCOL_TLS_CLIENT)  # host name and chain checked
    if cafile is None:
        context.load_default_certs()
    else:
        context.load_verify_locations(cafile)
    context.hostname = hostname
    return context


def publish_properties(delivery: Delivery, content_type: str = "application/json") -> Properties:
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho's own
    props.ContentType = content_type
    props.PayloadFormatIndicator = 1  # UTF-8 text
    props.UserProperty = [
        (h.MESSAGE_ID, delivery.message_id),
        (h.DELIVERY_ID, delivery.delivery_id),
    ]
    return props


def connect_refused(err: aiomqtt.MqttCodeError) -> DeliveryFailed:
    """A CONNACK that said no: retried only when the broker said "later"."""
    code = err.rc.value if isinstance(err.rc, ReasonCode) else None
    if code in RETRIABLE_CONNACK:
        return DeliveryFailed("connection-failed", str(err), retriable=True)
    return DeliveryFailed("mqtt-refused", str(err), retriable=False)


def connection_failure(err: aiomqtt.MqttError) -> DeliveryFailed:
    # aiomqtt keeps only the message of the socket error it met.
    detail = str(err) or type(err).__name__
    reason = "timeout" if "timed out" in detail else "connection-failed"
    return DeliveryFailed(reason, detail, retriable=True)


@dataclass(frozen=True)
class _Connection:
    settings: tuple[MqttConfig, str | None]  # the config and sealed secret it was made for
    client: aiomqtt.Client
    stack: contextlib.AsyncExitStack
    v5: bool


class MqttSink:
    def __init__(
        self,
        secrets_key: bytes,
        egress: EgressPolicy,
        timeout_s: float,
        tls: Callable[[str], ssl.SSLContext] = verified_tls,
        bodies: Bodies | None = None,
    ) -> None:
        self._key = secrets_key
        self._bodies = bodies or Bodies()
        self._egress = egress
        self._timeout_s = timeout_s
        self._tls = tls
        self._connections: dict[str, _Connection] = {}
        self._connecting: dict[str, asyncio.Lock] = {}

    async def start(self) -> None:
        """Nothing to connect up front: a destination's broker is reached at first use."""

    async def stop(self) -> None:
        """Disconnect from every broker; idempotent."""
        connections, self._connections = self._connections, {}
        for connection in connections.values():
            await _close(connection)

    async def deliver(
        self, delivery: Delivery, destination: DestinationSnapshot, attempt: int
    ) -> None:
        cfg = destination.config
        if not isinstance(cfg, MqttConfig):
            raise DeliveryFailed("destination-misconfigured", destination.id, retriable=False)
        body = await self._bodies.of(delivery, destination)
        for reconnected in (False, True):
            connection = await self._connection(destination, cfg)
            props = publish_properties(delivery, body.content_type) if connection.v5 else None
            try:
                await connection.client.publish(
                    cfg.topic, body.data, qos=cfg.qos, properties=props, timeout=self._timeout_s
                )
                return
            except ValueError as err:  # paho: a wildcard in the topic, say
                raise DeliveryFailed(
                    "destination-misconfigured", str(err), retriable=False
                ) from err
            except aiomqtt.MqttCodeError as err:
                await self._drop(destination.id, connection)
                if err.rc == paho.MQTT_ERR_NO_CONN and not reconnected:
                    continue  # closed while idle, nothing was sent: once more, connected
                raise connection_failure(err) from err
            except aiomqtt.MqttError as err:  # no PUBACK in time, connection lost
                await self._drop(destination.id, connection)
                raise connection_failure(err) from err

    async def _connection(self, destination: DestinationSnapshot, cfg: MqttConfig) -> _Connection:
        settings = (cfg, destination.sealed_secret)
        current = self._connections.get(destination.id)
        if current is not None and current.settings == settings:
            return current
        async with self._connecting.setdefault(destination.id, asyncio.Lock()):
            current = self._connections.get(destination.id)
            if current is not None and current.settings == settings:
                return current
            if current is not None:  # the destination changed since
                await self._drop(destination.id, current)
            fresh = await self._connect(destination, cfg, settings)
            self._connections[destination.id] = fresh
            return fresh

    async def _connect(
        self,
        destination: DestinationSnapshot,
        cfg: MqttConfig,
        settings: tuple[MqttConfig, str | None],
    ) -> _Connection:
        password = None
        if destination.sealed_secret is not None:
            password = open_sealed(self._key, destination.sealed_secret, bound_to=destination.id)
        addresses = await self._egress.resolve(cfg.host, cfg.port)
        if not addresses:
            raise DeliveryFailed("connection-failed", f"{cfg.host} has no address", retriable=True)
        address = addresses[0]
        tls = self._tls(cfg.host) if cfg.tls else None
        try:
            try:
                return await self._open(address, cfg, password, tls, settings, v5=True)
            except aiomqtt.MqttCodeError as err:  # on connecting: a CONNACK that said no
                if not (isinstance(err.rc, ReasonCode) and err.rc.value == UNSUPPORTED_PROTOCOL):
                    raise
                log.info("%s speaks MQTT 3.1.1 only", cfg.host)
                tls = self._tls(cfg.host) if cfg.tls else None  # a context serves one client
                return await self._open(address, cfg, password, tls, settings, v5=False)
        except aiomqtt.MqttCodeError as err:
            raise connect_refused(err) from err
        except aiomqtt.MqttError as err:
            raise connection_failure(err) from err

    async def _open(
        self,
        address: str,
        cfg: MqttConfig,
        password: str | None,
        tls: ssl.SSLContext | None,
        settings: tuple[MqttConfig, str | None],
        v5: bool,
    ) -> _Connection:
        client = aiomqtt.Client(
            address,
            cfg.port,
            username=cfg.username,
            password=password,
            identifier="senflow" + secrets.token_hex(8),  # 23 characters: any broker takes it
            protocol=aiomqtt.ProtocolVersion.V5 if v5 else aiomqtt.ProtocolVersion.V311,
            tls_context=tls,
            timeout=self._timeout_s,
            logger=log,
        )
        stack = contextlib.AsyncExitStack()
        await stack.enter_async_context(client)
        return _Connection(settings, client, stack, v5)

    async def _drop(self, destination_id: str, connection: _Connection) -> None:
        if self._connections.get(destination_id) is connection:
            del self._connections[destination_id]
        await _close(connection)


async def _close(connection: _Connection) -> None:
    # A broken connection cannot say goodbye; closing it anyway frees its socket.
    with contextlib.suppress(aiomqtt.MqttError, OSError):
        await connection.stack.aclose()
