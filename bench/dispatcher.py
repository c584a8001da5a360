"""Dispatcher alone: deliveries/s and latency to a local HTTP receiver, the same over
HTTPS (TLS), and to a Kafka topic, each next to a bare client loop measured in the same run.

Deliveries are written straight onto `senflow.deliveries.v1` (the router is stopped), for
50 devices, all at once; the clock runs from the first delivery produced to the last one
received. Latency = arrival (the receiver's clock, or the output record's timestamp) − the
time the delivery was produced (its SenML `bt`). Baselines: an aiohttp POST loop with as
many requests in flight as the dispatcher allows per destination (its lane slots), to the
same receiver over the same scheme, and a bare aiokafka consume → produce pipe with
records of the same size. The HTTPS receiver's certificate comes from a throwaway CA the
dispatcher trusts through SSL_CERT_FILE; connections are kept alive, as in production.
`python -m bench.dispatcher [--deliveries N] [--runs R]`
"""

import argparse
import asyncio
import contextlib
import secrets
import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.baselines import http_posts, kafka_pipe
from bench.harness import platform_for_bench
from bench.sink import TimingReceiver
from bench.tls import LocalTls, local_tls
from senflow.common import headers as h
from senflow.common import topics
from senflow.common.deliveries import DecoderRef, Delivery
from senflow.common.senml import SenmlRecord
from senflow.common.serde import dumps
from senflow.dispatcher.settings import DispatcherSettings
from tests.support.api import Api, create_customer, new_destination_secret, wait_outbox_drained
from tests.support.processes import ServiceProcess

DEVICES = 50
LANE_SLOTS = DispatcherSettings.model_fields["lane_slots"].default


def _delivery(
    customer_id: str, destination_id: str, n: int
) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    device_id = f"bench-device-{n % DEVICES}"
    now = datetime.now(UTC)
    delivery = Delivery(
        message_id=str(uuid.uuid4()),
        delivery_id=str(uuid.uuid4()),
        customer_id=customer_id,
        device_id=device_id,
        flow_id="bench-flow",
        destination_id=destination_id,
        decoder=DecoderRef(id="lora-raw", version=1),
        senml=(
            SenmlRecord(bn=f"urn:dev:DEVEUI:{n % DEVICES:016X}:", bt=now.timestamp(), n="v", v=n),
        ),
        received_at=now,
    )
    headers = h.encode_headers(
        {
            h.MESSAGE_ID: delivery.message_id,
            h.DELIVERY_ID: delivery.delivery_id,
            h.DESTINATION_ID: destination_id,
            h.DEVICE_ID: device_id,
        }
    )
    return device_id.encode(), dumps(delivery), headers


async def _offer(bootstrap: str, customer_id: str, destination_id: str, count: int) -> float:
    """Produce `count` deliveries as fast as the producer takes them; the start time."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        started = time.time()
        for n in range(count):
            key, value, headers = _delivery(customer_id, destination_id, n)
            await producer.send(topics.DELIVERIES, key=key, value=value, headers=headers)
        await producer.flush()
        return started
    finally:
        await producer.stop()


def _stats(latencies: list[float], count: int, elapsed: float) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    return (
        count / elapsed,
        1000 * ordered[len(ordered) // 2],
        1000 * ordered[max(0, int(len(ordered) * 0.99) - 1)],
    )


async def http_run(
    bootstrap: str, receiver: TimingReceiver, customer_id: str, destination_id: str, count: int
) -> tuple[float, float, float]:
    receiver.latencies_s.clear()
    before = receiver.count
    started = await _offer(bootstrap, customer_id, destination_id, count)
    async with asyncio.timeout(600):
        while receiver.count - before < count:  # noqa: ASYNC110 - the receiver counts
            await asyncio.sleep(0.05)
    return _stats(receiver.latencies_s, count, time.time() - started)


async def kafka_run(
    bootstrap: str, topic: str, customer_id: str, destination_id: str, count: int
) -> tuple[float, float, float]:
    out = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None)
    await out.start()
    try:
        await out.seek_to_end()
        for tp in out.assignment():
            await out.position(tp)
        started = await _offer(bootstrap, customer_id, destination_id, count)
        latencies: list[float] = []
        async with asyncio.timeout(600):
            while len(latencies) < count:
                for records in (await out.getmany(timeout_ms=200)).values():
                    for r in records:
                        bt = orjson.loads(r.value)[0]["bt"]
                        latencies.append(r.timestamp / 1000 - bt)
        return _stats(latencies, count, time.time() - started)
    finally:
        await out.stop()


@contextlib.contextmanager
def trusting(dispatcher: ServiceProcess, tls: LocalTls) -> Iterator[None]:
    """The dispatcher restarted to trust `tls`'s CA (its SSL_CERT_FILE), and restarted as
    it was afterwards."""
    before = dispatcher.env.get("SSL_CERT_FILE")
    dispatcher.stop()
    dispatcher.env["SSL_CERT_FILE"] = str(tls.ca_file)
    dispatcher.start()
    try:
        yield
    finally:
        dispatcher.stop()
        if before is None:
            del dispatcher.env["SSL_CERT_FILE"]
        else:
            dispatcher.env["SSL_CERT_FILE"] = before
        dispatcher.start()


def _fmt(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


async def measure(
    api_url: str,
    admin_token: str,
    bootstrap: str,
    database_url: str,
    count: int,
    runs: int,
    tls: LocalTls,
) -> dict[str, str]:
    plain = await TimingReceiver().start()
    secure = await TimingReceiver().start(tls.server_context())
    topic = f"bench.dispatcher.{secrets.token_hex(4)}"
    admin_client = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin_client.start()
    await admin_client.create_topics([NewTopic(topic, 8, 1)])
    await admin_client.close()
    results: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        results.setdefault(name, []).append(value)

    try:
        async with httpx.AsyncClient(base_url=api_url, timeout=30) as client:
            customer_id, api = await create_customer(Api(client, admin_token), "bench-dispatch")
            receivers = {}
            for label, receiver in (("HTTP", plain), ("HTTPS", secure)):
                destination = await api.ok(
                    "POST",
                    "/destinations",
                    {
                        "name": f"bench-{label.lower()}",
                        "config": {"url": receiver.url},
                        "secret": new_destination_secret(),
                    },
                )
                receivers[label] = (receiver, destination["id"])
            kafka = await api.ok(
                "POST",
                "/destinations",
                {"name": "bench-kafka", "type": "kafka", "config": {"topic": topic}},
            )
        await wait_outbox_drained(database_url)
        await asyncio.sleep(1.0)  # the dispatcher's view follows within a fetch round
        # What a receiver gets: the SenML pack (the baselines move bodies of that size).
        sample = _delivery(customer_id, kafka["id"], 0)[1]
        body = orjson.dumps(orjson.loads(sample)["senml"])
        for _ in range(runs):
            for label, (receiver, destination_id) in receivers.items():
                client_tls = tls.client_context() if label == "HTTPS" else None
                add(
                    f"baseline: aiohttp POST loop, {label} (POST/s)",
                    await http_posts(receiver.url, count, body, LANE_SLOTS, client_tls),
                )
                rate, p50, p99 = await http_run(
                    bootstrap, receiver, customer_id, destination_id, count
                )
                add(f"dispatcher → {label} receiver (deliveries/s)", rate)
                add(f"dispatcher → {label} p50 (ms)", p50)
                add(f"dispatcher → {label} p99 (ms)", p99)
            add(
                "baseline: aiokafka consume→produce pipe (records/s)",
                await kafka_pipe(bootstrap, count, len(body)),
            )
            rate, p50, p99 = await kafka_run(bootstrap, topic, customer_id, kafka["id"], count)
            add("dispatcher → Kafka topic (deliveries/s)", rate)
            add("dispatcher → Kafka p50 (ms)", p50)
            add("dispatcher → Kafka p99 (ms)", p99)
    finally:
        await plain.stop()
        await secure.stop()
    return {k: _fmt(v) for k, v in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tls = local_tls()
    with platform_for_bench() as platform:
        platform.router.stop()  # deliveries are offered directly: measure the dispatcher
        with trusting(platform.dispatcher, tls):
            results = asyncio.run(
                measure(
                    platform.api_url,
                    platform.admin_token,
                    platform.kafka_bootstrap,
                    platform.database_url,
                    args.deliveries,
                    args.runs,
                    tls,
                )
            )
    print(f"\n{args.deliveries} deliveries, {DEVICES} devices, {args.runs} runs: median (min–max)")
    for name, value in results.items():
        print(f"  {name:55s} {value}")


if __name__ == "__main__":
    main()
