"""The `Sender` each device type sends through, behind one protocol."""

from typing import Protocol

from senflow.cli.settings import CliSettings
from senflow.cli.simulate_devices import KINDS, DeviceType, SimDevice
from senflow.cli.simulate_http_sender import IngestSender
from senflow.cli.simulate_lora_sender import KafkaLoraSender
from senflow.cli.simulate_mqtt_sender import MqttSender
from senflow.cli.simulate_summary import Outcome


class Sender(Protocol):
    """Sends the devices' uplinks through one of the platform's interfaces.

    `probe()` first (it raises `TargetUnreachable`, before anything is created), then
    `start(devices)` once they are registered, `send()` for each uplink, `stop()` at the
    end (always; idempotent). `send()` never raises for the target's failures: the
    `Outcome` says why it was not accepted.
    """

    max_in_flight: int  # uplinks sent and not yet answered, at most
    one_at_a_time_per_device: bool  # whether a device waits for its answer before the next

    @property
    def target(self) -> str: ...

    async def probe(self) -> None: ...

    async def start(self, devices: list[SimDevice]) -> None: ...

    async def send(self, device: SimDevice, seq: int) -> Outcome: ...

    async def stop(self) -> None: ...


def sender_for(device_type: DeviceType, settings: CliSettings) -> Sender:
    if device_type is DeviceType.lora:
        return KafkaLoraSender(settings.kafka_bootstrap)
    if device_type is DeviceType.mqtt:
        return MqttSender(settings.mqtt_host, settings.mqtt_port)
    return IngestSender(settings.ingest_url, KINDS[device_type].network_type)


def max_devices(device_type: DeviceType) -> int | None:
    """A type's own bound on devices, below the simulator's (MQTT: a connection each)."""
    return MqttSender.max_devices if device_type is DeviceType.mqtt else None
