"""Where the capacity benchmark watches deliveries arrive: the HTTP receiver (arrival
times and ingest → arrival latency) and topics read from their end in the background
(each record's timestamp and, for SenML values, ingest → record latency)."""

import asyncio
import contextlib
import time
from datetime import datetime

import orjson
from aiohttp import web
from aiokafka import AIOKafkaConsumer

from bench.sink import TimingReceiver


class ArrivalReceiver(TimingReceiver):
    """A `TimingReceiver` that also keeps each delivery's arrival time."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[float] = []

    async def _hook(self, request: web.Request) -> web.Response:
        response = await super()._hook(request)
        self.arrivals.append(time.time())
        return response


class TopicTap:
    """Reads every partition of `topic` from the end it had at `start()`, in the background.

    `times` holds each record's timestamp (the producer's clock, in seconds), and
    `latencies_s` its timestamp − the uplink's receive time, read from the value: a SenML
    pack's `bt` (`values="senml"`, what a Kafka-topic destination gets) or a delivery's
    `received_at` (`values="delivery"`, on `senflow.deliveries.v1`).
    """

    def __init__(self, bootstrap: str, topic: str, values: str) -> None:
        # Figures come from the records' timestamps, not from when the tap reads them, so
        # it reads in batches (the broker answers when a MiB waits or after 100 ms): at
        # light load a fetch per record cost this process and the broker about a tenth of
        # the two cores that the platform is measured on.
        self._consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=None,
            enable_auto_commit=False,
            fetch_min_bytes=1024 * 1024,
            fetch_max_wait_ms=100,
        )
        self._received_at = {"senml": _bt, "delivery": _received_at}[values]
        self._task: asyncio.Task[None] | None = None
        self.times: list[float] = []
        self.latencies_s: list[float] = []
        self.keys: list[bytes | None] = []
        self.last_value: bytes | None = None  # e.g. what a destination receives

    async def start(self) -> "TopicTap":
        await self._consumer.start()
        await self._consumer.seek_to_end()
        for tp in self._consumer.assignment():  # resolve "end" now, not at the first fetch
            await self._consumer.position(tp)
        self._task = asyncio.create_task(self._read())
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()

    async def _read(self) -> None:
        while True:
            for records in (await self._consumer.getmany(timeout_ms=100)).values():
                for r in records:
                    at = r.timestamp / 1000
                    self.times.append(at)
                    self.keys.append(r.key)
                    self.last_value = r.value
                    self.latencies_s.append(at - self._received_at(r.value))


def _bt(value: bytes) -> float:
    return float(orjson.loads(value)[0]["bt"])


def _received_at(value: bytes) -> float:
    return datetime.fromisoformat(orjson.loads(value)["received_at"]).timestamp()
