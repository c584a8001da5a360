"""Each device's activity (uplinks counted, last seen) through the API: exact for LoRa
uplinks on the raw topic and Internet uplinks through the HTTP ingest, still exact after
a recording registry is SIGKILLed mid-batch, and untouched by uplinks no device sent."""

import asyncio
import hashlib
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata
from prometheus_client.parser import text_string_to_metric_families

from senflow.common import headers as h
from senflow.common import topics
from tests.support.api import Api, create_customer, new_dev_eui, wait_outbox_drained
from tests.support.kafka import TopicReader, header, lora_uplink
from tests.support.platform import Platform, ensure_running
from tests.support.processes import ServiceProcess, free_port

pytestmark = pytest.mark.e2e

# The recorder applies a batch about every second; this covers a busy machine.
COUNTED_WITHIN_S = 60.0
# After the expected count shows, a little longer: a batch counted twice would show by then.
SETTLE_S = 3.0
NO_ACTIVITY = {"last_seen_at": None, "uplinks": 0}


async def register_lora(api: Api, dev_eui: str) -> str:
    lora = {"dev_eui": dev_eui, "join_eui": "70B3D57ED0000000", "app_key": "00" * 16}
    body = {"name": "meter", "specification_id": "own-lora", "network_info": {"KPNLORA": lora}}
    return str((await api.ok("POST", "/devices", body))["id"])


async def send_lora(
    producer: AIOKafkaProducer, dev_eui: str, f_cnts: range, first_received_at: datetime
) -> tuple[datetime, RecordMetadata]:
    """Uplinks received 1 ms apart from `first_received_at`; the latest receive time, and
    where the last record was stored."""
    futures = [
        await producer.send(
            topics.UPLINKS_RAW_LORA,
            key=dev_eui.encode(),
            value=lora_uplink(
                dev_eui,
                f_cnt,
                received_at=(first_received_at + timedelta(milliseconds=f_cnt)).isoformat(),
            ),
        )
        for f_cnt in f_cnts
    ]
    stored: list[RecordMetadata] = await asyncio.gather(*futures)
    return first_received_at + timedelta(milliseconds=f_cnts[-1]), stored[-1]


async def activity(api: Api, device_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await api.ok("GET", f"/devices/{device_id}"))["activity"]
    return found


async def wait_activity(api: Api, device_id: str, uplinks: int) -> dict[str, Any]:
    """The device's activity once it counts `uplinks` (or more), a moment later."""
    async with asyncio.timeout(COUNTED_WITHIN_S):
        # Polling: the count is in another process's database, not an event of ours.
        while (await activity(api, device_id))["uplinks"] < uplinks:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
    await asyncio.sleep(SETTLE_S)
    return await activity(api, device_id)


def as_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def last_seen(found: dict[str, Any]) -> datetime | None:
    value = found["last_seen_at"]
    return None if value is None else as_time(value)


async def test_lora_and_internet_uplinks_are_counted_exactly_with_the_last_receive_time(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    _, api = await create_customer(admin)
    dev_eui = new_dev_eui()
    lora_id = await register_lora(api, dev_eui)
    dvn_uuid, secret = str(uuid.uuid4()), secrets.token_hex(20)
    internet = await api.ok(
        "POST",
        "/devices",
        {
            "name": "gateway",
            "specification_id": "generic-internet",
            "network_info": {"INTERNET": {"dvn_uuid": dvn_uuid, "shared_secret": secret}},
        },
    )
    assert internet["activity"] == NO_ACTIVITY
    assert (await api.ok("GET", f"/devices/{lora_id}"))["activity"] == NO_ACTIVITY
    await wait_outbox_drained(platform.database_url)  # the ingest knows the device now

    first = datetime.now(UTC) - timedelta(minutes=1)
    last_lora, _ = await send_lora(producer, dev_eui, range(250), first)
    uplinks = await TopicReader(platform.kafka_bootstrap, topics.UPLINKS_RAW_DEVICE).start()
    try:
        message_ids = await post_senml(platform, dvn_uuid, secret, count=5)
        stored = await uplinks.wait_for(lambda r: header(r, h.MESSAGE_ID) in message_ids, 5)
    finally:
        await uplinks.stop()
    last_internet = max(as_time(json.loads(r.value)["received_at"]) for r in stored)

    lora_activity = await wait_activity(api, lora_id, 250)
    assert (lora_activity["uplinks"], last_seen(lora_activity)) == (250, last_lora)
    internet_activity = await wait_activity(api, internet["id"], 5)
    assert (internet_activity["uplinks"], last_seen(internet_activity)) == (5, last_internet)

    listed = (await api.ok("GET", "/devices"))["items"]
    assert {d["id"]: d["activity"]["uplinks"] for d in listed} == {lora_id: 250, internet["id"]: 5}
    device = await api.ok("GET", f"/devices/{lora_id}")
    assert device["version"] == 1, "activity is not a change of the device"


async def post_senml(platform: Platform, dvn_uuid: str, secret: str, count: int) -> set[str]:
    """`count` SenML packs posted by the Internet device to the ingest; their message ids."""
    message_ids = set()
    async with httpx.AsyncClient(base_url=platform.ingest_url, timeout=20) as ingest:
        for n in range(count):
            record = {"bn": f"urn:dev:DVNUUID:{dvn_uuid}:", "n": "temperature", "v": 20 + n}
            body = json.dumps([record]).encode()
            resp = await ingest.post(
                "/ingestion/ip/senml/v1",
                content=body,
                headers={
                    "Content-Type": "application/senml+json",
                    "Things-Message-Token": hashlib.sha256(body + secret.encode()).hexdigest(),
                },
            )
            assert resp.status_code == 204, resp.text
            message_ids.add(resp.headers["Senflow-Message-Id"])
    return message_ids


async def test_counts_stay_exact_when_a_recording_registry_is_killed_mid_batch(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    _, api = await create_customer(admin)
    dev_eui = new_dev_eui()
    device_id = await register_lora(api, dev_eui)
    first = datetime.now(UTC) - timedelta(minutes=1)
    await send_lora(producer, dev_eui, range(50), first)
    assert (await wait_activity(api, device_id, 50))["uplinks"] == 50

    port = str(free_port())
    recorder = ServiceProcess(
        "registry-recorder",
        ["senflow-registry", "serve"],
        {
            **platform.env,
            "REGISTRY_HTTP_PORT": port,
            "REGISTRY_RELAY_ENABLED": "false",
            # Small batches: many transactions, so the kill lands mid-way through them.
            "REGISTRY_ACTIVITY_BATCH_SIZE": "10",
        },
        f"http://127.0.0.1:{port}/readyz",
        platform.registry.log_path.with_name("registry-recorder.log"),
    )
    platform.registry.stop()  # its recorder stops leading; the new one takes over
    try:
        await asyncio.to_thread(recorder.start)
        sending = asyncio.create_task(send_lora(producer, dev_eui, range(50, 2050), first))
        counted = await wait_partly_counted(platform.database_url, device_id, above=50)
        recorder.kill()
        await sending
        assert 50 < counted < 2050, "the recorder was not caught mid-way"

        await asyncio.to_thread(platform.registry.start)  # its recorder resumes
        last, _ = await send_lora(producer, dev_eui, range(2050, 2100), first)
        found = await wait_activity(api, device_id, 2100)
        assert (found["uplinks"], last_seen(found)) == (2100, last)
    finally:
        recorder.kill()
        await ensure_running(platform.registry)


async def wait_partly_counted(database_url: str, device_id: str, above: int) -> int:
    """The device's count as soon as the table shows it past `above`."""
    conn = await asyncpg.connect(database_url)
    try:
        async with asyncio.timeout(COUNTED_WITHIN_S):
            while True:
                counted = await conn.fetchval(
                    "SELECT uplinks FROM device_activity WHERE device_id = $1", uuid.UUID(device_id)
                )
                if counted is not None and counted > above:
                    return int(counted)
                await asyncio.sleep(0.005)
    finally:
        await conn.close()


async def test_uplinks_of_an_unknown_dev_eui_count_for_no_device_even_once_registered(
    platform: Platform, admin: Api, producer: AIOKafkaProducer, http: httpx.AsyncClient
) -> None:
    before = await skipped_unknown(http)
    dev_eui = new_dev_eui()
    first = datetime.now(UTC) - timedelta(minutes=1)
    _, last_record = await send_lora(producer, dev_eui, range(7), first)
    await wait_passed(platform.database_url, last_record)
    async with asyncio.timeout(5):  # the metric counts just after the batch's commit
        while await skipped_unknown(http) < before + 7:  # noqa: ASYNC110
            await asyncio.sleep(0.1)

    _, api = await create_customer(admin)
    device_id = await register_lora(api, dev_eui)
    assert await activity(api, device_id) == NO_ACTIVITY
    last, _ = await send_lora(producer, dev_eui, range(7, 10), first)
    found = await wait_activity(api, device_id, 3)
    assert (found["uplinks"], last_seen(found)) == (3, last)


async def skipped_unknown(http: httpx.AsyncClient) -> float:
    text = (await http.get("/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "senflow_registry_activity_uplinks_skipped_total"
                and sample.labels == {"reason": "unknown-device"}
            ):
                return float(sample.value)
    raise AssertionError("the registry does not export the skipped uplinks")


async def wait_passed(database_url: str, record: RecordMetadata) -> None:
    """Wait until the recorder has applied the batches up to and including `record`."""
    conn = await asyncpg.connect(database_url)
    try:
        async with asyncio.timeout(COUNTED_WITHIN_S):
            while True:
                next_offset = await conn.fetchval(
                    "SELECT next_offset FROM device_activity_offsets"
                    " WHERE topic = $1 AND partition = $2",
                    record.topic,
                    record.partition,
                )
                if next_offset is not None and next_offset > record.offset:
                    return
                await asyncio.sleep(0.1)
    finally:
        await conn.close()
