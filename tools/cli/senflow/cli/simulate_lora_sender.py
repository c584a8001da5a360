"""LoRa devices, as a LoRaWAN network server delivers their uplinks: raw `LoraUplink`
records on `senflow.uplinks.lora.raw.v1` (key = DevEUI), written with acks=all."""

import asyncio
import time
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from senflow.cli.simulate_devices import SimDevice
from senflow.cli.simulate_errors import TargetUnreachable
from senflow.cli.simulate_payloads import lora_uplink
from senflow.cli.simulate_summary import Outcome
from senflow.common import headers as h
from senflow.common import topics

CONNECT_TIMEOUT_S = 15.0
ACK_TIMEOUT_S = 15.0


class KafkaLoraSender:
    """One idempotent producer for all devices: records of one device keep their order."""

    # The producer batches and pipelines; thousands in flight cost little.
    max_in_flight = 5_000
    one_at_a_time_per_device = False

    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap
        self._producer: AIOKafkaProducer | None = None

    @property
    def target(self) -> str:
        return f"Kafka {self._bootstrap} {topics.UPLINKS_RAW_LORA}"

    async def probe(self) -> None:
        """Connect the producer (it stays for the run): `TargetUnreachable` if Kafka does
        not answer or the topic is missing."""
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            request_timeout_ms=int(ACK_TIMEOUT_S * 1000),
        )
        self._producer = producer
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                await producer.start()
                await producer.partitions_for(topics.UPLINKS_RAW_LORA)
        except (KafkaError, TimeoutError) as err:
            await self.stop()
            raise TargetUnreachable(
                f"Kafka at {self._bootstrap} did not answer (or has no {topics.UPLINKS_RAW_LORA})"
            ) from err

    async def start(self, devices: list[SimDevice]) -> None:
        """Nothing per device: a network server needs no session."""

    async def send(self, device: SimDevice, seq: int) -> Outcome:
        """Publish one uplink and wait for Kafka's acknowledgement (or its refusal)."""
        assert self._producer is not None, "probe() first"
        message_id = str(uuid.uuid4())  # chosen upstream, so the sender knows it
        value = lora_uplink(device.identifier, seq, datetime.now(UTC))
        started = time.perf_counter()
        try:
            async with asyncio.timeout(ACK_TIMEOUT_S):
                ack = await self._producer.send(
                    topics.UPLINKS_RAW_LORA,
                    value=value,
                    key=device.identifier.encode(),
                    headers=h.encode_headers({h.MESSAGE_ID: message_id}),
                )
                await ack
        except TimeoutError:
            return Outcome(False, "timeout")
        except KafkaError as err:
            return Outcome(False, f"kafka-{type(err).__name__}")
        return Outcome(True, latency_s=time.perf_counter() - started, message_id=message_id)

    async def stop(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()
