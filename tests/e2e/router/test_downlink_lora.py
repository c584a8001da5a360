"""LoRa downlinks on the real services: the API queues one, the router encodes it with the
flow's encoder and reports it executing, and once the registry accepted that, publishes
it for the LoRaWAN network server, whose results (played by this test) move it to sent
and acknowledged. A downlink cancelled before the router's report was applied never
reaches the network server. A DIY encoder that throws or loops fails its own downlink
with the reason, and the device's next downlink still goes."""

import contextlib
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord

from senflow.common import topics
from senflow.common.downlinks import LoraDownlink, LoraDownlinkResult
from senflow.common.serde import dumps, loads
from tests.support.api import (
    Api,
    create_customer,
    register_lora_device,
    wait_downlink_status,
    wait_outbox_drained,
)
from tests.support.kafka import TopicReader
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e

WITHIN_S = 30.0
# Channel 1 (digital output) on; channel 2 (analog output) at 21.50, i.e. 2150 = 0x0866.
CAYENNE_COMMAND = {
    "senml": [{"n": "1/digitalOutput", "vb": True}, {"n": "2/analogOutput", "v": 21.5}]
}
CAYENNE_BYTES = "01010102030866"
THROWS = "function encodeDownlink(input) { throw new Error('valve jammed'); }"
LOOPS = "function encodeDownlink(input) { while (true) {} }"


async def lora_device_in_flows(api: Api, encoder_ids: list[str]) -> tuple[str, str, list[str]]:
    """A Cayenne LPP LoRa device in one flow per encoder; its id, DevEUI and the flows."""
    device_id, dev_eui = await register_lora_device(api, specification_id="cayenne-lpp-lora")
    project = await api.ok("POST", "/projects", {"name": "p"})
    flow_ids = []
    for encoder_id in encoder_ids:
        body = {
            "project_id": project["id"],
            "name": encoder_id,
            "device_ids": [device_id],
            "encoder_ids": [encoder_id],
        }
        flow_ids.append((await api.ok("POST", "/flows", body))["id"])
    return device_id, dev_eui, flow_ids


async def diy_encoder(api: Api, script: str) -> str:
    body = {"name": "valve", "kind": "encoder", "contract": "ts013", "script": script}
    return str((await api.ok("POST", "/decoders", body))["id"])


def correlated(downlink_id: str) -> Any:
    def match(record: ConsumerRecord[bytes, bytes]) -> bool:
        return bool(orjson.loads(record.value).get("correlation_id") == downlink_id)

    return match


async def answer(producer: AIOKafkaProducer, dev_eui: str, downlink_id: str, result: str) -> None:
    """What the network server says about a downlink."""
    value = LoraDownlinkResult.model_validate(
        {"correlation_id": downlink_id, "result": result, "at": datetime.now(UTC)}
    )
    await producer.send_and_wait(
        topics.DOWNLINKS_LORA_RESULTS, key=dev_eui.encode(), value=dumps(value)
    )


async def test_a_confirmed_cayenne_downlink_reaches_the_network_server_and_is_acknowledged(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    _, api = await create_customer(admin)
    device_id, dev_eui, _ = await lora_device_in_flows(api, ["cayenne-lpp-encoder"])
    network_server = await TopicReader(platform.kafka_bootstrap, topics.DOWNLINKS_LORA).start()
    try:
        body = {"command": CAYENNE_COMMAND, "confirmed": True, "ttl_s": 600}
        created = await api.ok("POST", f"/devices/{device_id}/downlinks", body)
        assert (created["status"], created["encoder_id"]) == ("queued", "cayenne-lpp-encoder")
        downlink_id = created["id"]

        [record] = await network_server.wait_for(correlated(downlink_id), timeout_s=WITHIN_S)
    finally:
        await network_server.stop()
    assert record.key == dev_eui.encode()
    sent = loads(LoraDownlink, record.value)
    assert sent.correlation_id == downlink_id
    assert sent.dev_eui.upper() == dev_eui
    assert (sent.f_port, sent.payload_hex, sent.confirmed) == (1, CAYENNE_BYTES, True)
    assert sent.expires_at == datetime.fromisoformat(created["expires_at"])

    executing = await wait_downlink_status(api, downlink_id, "executing")
    assert (executing["payload_hex"], executing["f_port"]) == (CAYENNE_BYTES, 1)
    assert executing["executing_at"] is not None

    await answer(producer, dev_eui, downlink_id, "sent")
    assert (await wait_downlink_status(api, downlink_id, "sent"))["sent_at"] is not None
    await answer(producer, dev_eui, downlink_id, "acknowledged")
    done = await wait_downlink_status(api, downlink_id, "acknowledged")
    assert done["finished_at"] is not None and done["reason"] is None


async def test_a_downlink_cancelled_before_the_router_acts_never_reaches_the_network_server(
    platform: Platform, admin: Api
) -> None:
    _, api = await create_customer(admin)
    device_id, _, _ = await lora_device_in_flows(api, ["cayenne-lpp-encoder"])
    network_server = await TopicReader(platform.kafka_bootstrap, topics.DOWNLINKS_LORA).start()
    cancelled: list[str] = []
    executed: list[str] = []
    try:
        body = {"command": CAYENNE_COMMAND, "ttl_s": 600}
        for _ in range(5):  # the cancel races the router's report: both outcomes count
            created = await api.ok("POST", f"/devices/{device_id}/downlinks", body)
            resp = await api.call("POST", f"/downlinks/{created['id']}/cancel")
            assert resp.status_code in (200, 409), resp.text
            (cancelled if resp.status_code == 200 else executed).append(created["id"])
        assert cancelled, "the router took every downlink before its cancel"
        for downlink_id in executed:  # the registry accepted these: they do go out
            await network_server.wait_for(correlated(downlink_id), timeout_s=WITHIN_S)
        with contextlib.suppress(TimeoutError):  # what else arrives, within 3 s
            await network_server.wait_for(lambda _: False, timeout_s=3.0)
    finally:
        await network_server.stop()
    sent = {orjson.loads(r.value)["correlation_id"] for r in network_server.records}
    assert not sent & set(cancelled)
    for downlink_id in cancelled:
        found = await api.ok("GET", f"/downlinks/{downlink_id}")
        assert (found["status"], found["payload_hex"]) == ("cancelled", None)


async def test_a_diy_encoder_that_throws_or_loops_fails_only_its_own_downlink(
    platform: Platform, admin: Api
) -> None:
    _, api = await create_customer(admin)
    throws, loops = await diy_encoder(api, THROWS), await diy_encoder(api, LOOPS)
    device_id, dev_eui, flows = await lora_device_in_flows(
        api, [throws, loops, "cayenne-lpp-encoder"]
    )
    await wait_outbox_drained(platform.database_url)  # the router sees the scripts at once
    network_server = await TopicReader(platform.kafka_bootstrap, topics.DOWNLINKS_LORA).start()
    try:
        command = {"data": {"interval": 60}}
        failed = {}
        for flow_id, expected in zip(
            flows[:2], ("script-error: ", "script-timeout: "), strict=True
        ):
            body = {"command": command, "flow_id": flow_id, "ttl_s": 600}
            created = await api.ok("POST", f"/devices/{device_id}/downlinks", body)
            failed[created["id"]] = await wait_downlink_status(
                api, created["id"], "failed", "executing"
            )
            assert failed[created["id"]]["status"] == "failed"
            assert failed[created["id"]]["reason"].startswith(expected)
        [thrown, looped] = failed.values()
        assert "valve jammed" in thrown["reason"]
        assert "exceeded 50 ms CPU" in looped["reason"]
        assert all(d["payload_hex"] is None and d["f_port"] is None for d in failed.values())

        body = {"command": CAYENNE_COMMAND, "flow_id": flows[2], "ttl_s": 600}
        good = await api.ok("POST", f"/devices/{device_id}/downlinks", body)
        [record] = await network_server.wait_for(correlated(good["id"]), timeout_s=WITHIN_S)
    finally:
        await network_server.stop()
    assert record.key == dev_eui.encode()
    assert loads(LoraDownlink, record.value).payload_hex == CAYENNE_BYTES
    executing = await wait_downlink_status(api, good["id"], "executing")
    assert executing["payload_hex"] == CAYENNE_BYTES
    # The failed downlinks never reached the network server.
    correlation_ids = {orjson.loads(r.value)["correlation_id"] for r in network_server.records}
    assert not correlation_ids & set(failed)
