"""What no Python stage here can beat: a bare aiokafka pipe and a bare aiohttp POST loop;
and what a faust agent that only forwards records does (the framework's own ceiling)."""

import asyncio
import os
import secrets
import signal
import ssl
import subprocess
import sys
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


async def faust_pipe(bootstrap: str, count: int, size: int, partitions: int = 8) -> float:
    """Records/s through a faust agent that only forwards them (bench.faust_pipe, its own
    process like the router), timed as `kafka_pipe` is, once the agent is running."""
    run = secrets.token_hex(4)
    src, dst = f"bench.fpipe.in.{run}", f"bench.fpipe.out.{run}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(t, partitions, 1) for t in (src, dst)])
    await _wait_leaders(admin, (src, dst))
    await admin.close()
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.faust_pipe",
        bootstrap,
        src,
        dst,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    out = AIOKafkaConsumer(dst, bootstrap_servers=bootstrap, group_id=None)
    await producer.start()
    await out.start()
    try:
        await out.seek_to_end()
        # Warm-up: one record per partition through the agent, so every partition is
        # assigned and the clock starts with the worker running.
        for p in range(partitions):
            await producer.send(src, value=b"warm-up", partition=p)
        async with asyncio.timeout(120):
            warmed = 0
            while warmed < partitions:
                warmed += sum(len(r) for r in (await out.getmany(timeout_ms=200)).values())
        payload = b"x" * size
        started = time.perf_counter()
        for i in range(count):
            await producer.send(src, key=str(i % 1000).encode(), value=payload)
        seen = 0
        async with asyncio.timeout(600):
            while seen < count:
                seen += sum(len(r) for r in (await out.getmany(timeout_ms=100)).values())
        return count / (time.perf_counter() - started)
    finally:
        await out.stop()
        await producer.stop()
        worker.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(30):
                await worker.wait()
        except TimeoutError:
            worker.kill()
            await worker.wait()


async def http_posts(
    url: str, count: int, body: bytes, concurrency: int, tls: ssl.SSLContext | None = None
) -> float:
    """POSTs/s of a bare aiohttp loop against the receiver the platform delivers to (an
    HTTPS one verified with the client context `tls`)."""
    async with aiohttp.ClientSession() as session:
        remaining = iter(range(count))

        async def worker() -> None:
            for _ in remaining:
                async with session.post(url, data=body, ssl=tls or True) as resp:
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
