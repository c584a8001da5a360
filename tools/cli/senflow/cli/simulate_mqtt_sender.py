"""MQTT devices: one broker connection per device, logged in as its client id, publishing
its SenML pack with QoS 1 to `senflow/devices/<client id>/up` and waiting for the PUBACK."""

import asyncio
import contextlib
import time
from datetime import UTC, datetime

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from senflow.cli.simulate_devices import SimDevice
from senflow.cli.simulate_errors import SimulateError, TargetUnreachable
from senflow.cli.simulate_payloads import senml_pack
from senflow.cli.simulate_summary import Outcome

TOPIC_PREFIX = "senflow/devices"
CONNECT_TIMEOUT_S = 10.0
PUBACK_TIMEOUT_S = 10.0
CONNECTS_AT_ONCE = 50  # a thousand devices log in within seconds, without a SYN flood


class MqttSender:
    max_in_flight = 1_000
    one_at_a_time_per_device = True  # QoS 1 in order, as the bridge expects of a device
    max_devices = 1_000  # one connection each

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._clients: dict[str, aiomqtt.Client] = {}
        self._stack = contextlib.AsyncExitStack()
        self._broker = f"the MQTT broker at {host}:{port}"

    @property
    def target(self) -> str:
        return f"mqtt://{self._host}:{self._port}"

    async def probe(self) -> None:
        """A TCP connection proves the broker is there (logging in is each device's own)."""
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                _, writer = await asyncio.open_connection(self._host, self._port)
            writer.close()
            await writer.wait_closed()
        except TimeoutError as err:
            raise TargetUnreachable(f"{self._broker} did not answer") from err
        except OSError as err:
            raise TargetUnreachable(f"{self._broker} did not answer ({err.strerror})") from err

    async def start(self, devices: list[SimDevice]) -> None:
        """Log every device in; `SimulateError` naming the first the broker refused."""
        gate = asyncio.Semaphore(CONNECTS_AT_ONCE)

        async def connect(device: SimDevice) -> None:
            client = aiomqtt.Client(
                self._host,
                self._port,
                identifier=device.identifier,
                username=device.identifier,
                password=device.secret,
                protocol=aiomqtt.ProtocolVersion.V5,
                timeout=CONNECT_TIMEOUT_S,
            )
            async with gate:
                try:
                    await self._stack.enter_async_context(client)
                except aiomqtt.MqttError as err:
                    raise SimulateError(
                        f"{self._broker} refused device {device.identifier}: {err}"
                    ) from err
            self._clients[device.identifier] = client

        await asyncio.gather(*(connect(d) for d in devices))

    async def send(self, device: SimDevice, seq: int) -> Outcome:
        """Publish one pack (QoS 1); accepted once the broker's PUBACK is back."""
        client = self._clients[device.identifier]
        body = senml_pack(device.urn, seq, datetime.now(UTC))
        started = time.perf_counter()
        try:
            await client.publish(
                f"{TOPIC_PREFIX}/{device.identifier}/up",
                body,
                qos=1,
                properties=_senml_json(),
                timeout=PUBACK_TIMEOUT_S,
            )
        except aiomqtt.MqttCodeError:  # not even sent: the connection is gone
            return Outcome(False, "mqtt-not-sent")
        except aiomqtt.MqttError:  # aiomqtt's only other failure here: no PUBACK in time
            return Outcome(False, "timeout")
        return Outcome(True, latency_s=time.perf_counter() - started)

    async def stop(self) -> None:
        """Disconnect every device; idempotent."""
        self._clients.clear()
        with contextlib.suppress(aiomqtt.MqttError):
            await self._stack.aclose()


def _senml_json() -> Properties:
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    props.ContentType = "application/senml+json"
    return props
