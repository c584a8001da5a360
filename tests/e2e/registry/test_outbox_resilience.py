"""Change events are never lost: not while Kafka is down, not when the relay is killed
mid-batch. Each entity's events arrive in order (duplicates may follow, never precede)."""

import asyncio
import json
from collections import defaultdict

import asyncpg
import httpx
import pytest

from senflow.common import topics
from tests.support import infra
from tests.support.api import Api, create_customer, wait_outbox_drained
from tests.support.kafka import TopicReader
from tests.support.platform import Platform, ensure_running
from tests.support.processes import ServiceProcess, free_port

pytestmark = pytest.mark.e2e


async def _devices(api: Api, count: int) -> list[str]:
    return [
        (await api.ok("POST", "/devices", {"name": f"d{i}", "specification_id": "own-lora"}))["id"]
        for i in range(count)
    ]


async def _update_round_robin(api: Api, device_ids: list[str], changes: int) -> None:
    for n in range(changes):
        device_id = device_ids[n % len(device_ids)]
        await api.ok("PATCH", f"/devices/{device_id}", {"description": f"change {n}"})


def _versions_by_device(reader: TopicReader, device_ids: list[str]) -> dict[str, list[int]]:
    """Each device's entity versions in the order their first copies appear."""
    seen: dict[str, list[int]] = defaultdict(list)
    for record in reader.records:
        key = (record.key or b"").decode()
        if key in device_ids and record.value is not None:
            version = json.loads(record.value)["entity_version"]
            if version not in seen[key]:
                seen[key].append(version)
    return seen


async def _read_all(
    reader: TopicReader, device_ids: list[str], last_version: int
) -> dict[str, list[int]]:
    expected = len(device_ids)
    await reader.wait_for(
        lambda r: (
            r.value is not None
            and (r.key or b"").decode() in device_ids
            and json.loads(r.value)["entity_version"] == last_version
        ),
        count=expected,
        timeout_s=60,
    )
    return _versions_by_device(reader, device_ids)


async def test_all_changes_arrive_in_order_when_kafka_was_down(
    platform: Platform, admin: Api
) -> None:
    if "kafka" not in infra.STARTED_LOCALLY:
        pytest.skip("needs a broker this test run started itself, to stop and start it")
    _, api = await create_customer(admin)
    device_ids = await _devices(api, 4)
    await wait_outbox_drained(platform.database_url)
    mark = await TopicReader(platform.kafka_bootstrap, topics.REGISTRY_DEVICES).start()
    start_at = await mark.positions()
    await mark.stop()
    try:
        await asyncio.to_thread(infra.stop_local_kafka)
        await _update_round_robin(api, device_ids, 100)  # the API works without Kafka
        await asyncio.to_thread(infra.start_local_kafka)
        await wait_outbox_drained(platform.database_url, timeout_s=90)

        reader = await TopicReader(
            platform.kafka_bootstrap, topics.REGISTRY_DEVICES, start_at
        ).start()
        try:
            versions = await _read_all(reader, device_ids, last_version=26)
        finally:
            await reader.stop()
        assert versions == {d: list(range(2, 27)) for d in device_ids}
    finally:
        await ensure_running(
            platform.registry, platform.router, platform.dispatcher, platform.ingest
        )


async def test_nothing_is_lost_when_the_relay_is_killed_mid_batch(
    platform: Platform, admin: Api
) -> None:
    env = platform.env
    writer = ServiceProcess(
        "registry-writer",
        ["senflow-registry", "serve"],
        {
            **env,
            "REGISTRY_HTTP_PORT": (port := str(free_port())),
            "REGISTRY_RELAY_ENABLED": "false",
        },
        f"http://127.0.0.1:{port}/readyz",
        platform.registry.log_path.with_name("registry-writer.log"),
    )
    relay = ServiceProcess(
        "relay",
        ["senflow-registry", "relay"],
        {**env, "REGISTRY_RELAY_BATCH_SIZE": "10"},
        "",
        platform.registry.log_path.with_name("relay.log"),
    )
    _, api = await create_customer(admin)
    device_ids = await _devices(api, 10)
    await wait_outbox_drained(platform.database_url)
    reader = await TopicReader(platform.kafka_bootstrap, topics.REGISTRY_DEVICES).start()
    platform.registry.stop()  # no relay runs now
    try:
        await asyncio.to_thread(writer.start)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            await _update_round_robin(Api(client, api.token), device_ids, 1000)

        relay.spawn()
        pending = await _wait_partly_published(platform.database_url, total=1000)
        relay.kill()
        assert 0 < pending < 1000, "the relay was not caught mid-way"

        await asyncio.to_thread(platform.registry.start)  # its relay takes over
        await wait_outbox_drained(platform.database_url, timeout_s=60)
        versions = await _read_all(reader, device_ids, last_version=101)
        assert versions == {d: list(range(2, 102)) for d in device_ids}
    finally:
        await reader.stop()
        writer.stop()
        relay.kill()
        await ensure_running(platform.registry)


async def _wait_partly_published(database_url: str, total: int) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        async with asyncio.timeout(30):
            while True:
                pending = int(await conn.fetchval("SELECT count(*) FROM outbox"))
                if pending < total:
                    return pending
                await asyncio.sleep(0.005)
    finally:
        await conn.close()
