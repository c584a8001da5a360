"""What no Python stage here can beat: a bare aiokafka pipe and a bare aiohttp POST loop."""

import asyncio
import secrets
import time

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic


async def kafka_pipe(bootstrap: str, count: int, size: int, partitions: int = 8) -> float:
    """Records/s of consume → produce between two fresh topics, timed from the first
    record produced to the last record of the output topic, like the router's path."""
    run = secrets.token_hex(4)
    src, dst = f"bench.pipe.in.{run}", f"bench.pipe.out.{run}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(t, partitions, 1) for t in (src, dst)])
    await _wait_leaders(admin, (src, dst))  # new partitions refuse writes until they have one
    await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    pipe_in = AIOKafkaConsumer(
        src,
        bootstrap_servers=bootstrap,
        group_id=f"bench-{run}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    pipe_out = AIOKafkaConsumer(
        dst, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await producer.start()
    await pipe_in.start()
    await pipe_out.start()
    try:
        payload = b"x" * size

        async def pipe() -> None:
            moved = 0
            while moved < count:
                for records in (await pipe_in.getmany(timeout_ms=100)).values():
                    for r in records:
                        await producer.send(dst, key=r.key, value=r.value)
                    moved += len(records)
                await pipe_in.commit()

        started = time.perf_counter()
        piping = asyncio.create_task(pipe())
        for i in range(count):
            await producer.send(src, key=str(i % 1000).encode(), value=payload)
        seen = 0
        while seen < count:
            seen += sum(len(r) for r in (await pipe_out.getmany(timeout_ms=100)).values())
        elapsed = time.perf_counter() - started
        await piping
        return count / elapsed
    finally:
        await pipe_out.stop()
        await pipe_in.stop()
        await producer.stop()


async def http_posts(url: str, count: int, body: bytes, concurrency: int) -> float:
    """POSTs/s of a bare aiohttp loop against the receiver the platform delivers to."""
    async with aiohttp.ClientSession() as session:
        remaining = iter(range(count))

        async def worker() -> None:
            for _ in remaining:
                async with session.post(url, data=body) as resp:
                    await resp.read()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return count / (time.perf_counter() - started)


async def _wait_leaders(admin: AIOKafkaAdminClient, names: tuple[str, ...]) -> None:
    async with asyncio.timeout(30):
        while True:
            described = await admin.describe_topics(list(names))
            if all(p["leader"] >= 0 for t in described for p in t["partitions"]):
                return
            await asyncio.sleep(0.1)
