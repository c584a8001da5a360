"""Customers try a decoder on a sample before using it (nothing stored or published), and
a decoder that keeps failing in the router is reported: status on the decoder, and metric."""

import asyncio

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from senflow.common import topics
from tests.support.api import Api, create_customer, register_lora_device, wait_outbox_drained
from tests.support.kafka import TopicReader, lora_uplink, produce
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e

THROWS = "function main(input) { throw new Error('bad sensor'); }"
LOOPS = "function decodeUplink(input) { while (true) {} }"


async def test_a_trial_decodes_a_sample_and_stores_or_publishes_nothing(
    platform: Platform, admin: Api
) -> None:
    _, api = await create_customer(admin)
    _, other = await create_customer(admin)
    theirs = await other.ok("POST", "/decoders", {"name": "t", "contract": "kpn", "script": THROWS})
    mine = await api.ok("POST", "/decoders", {"name": "m", "contract": "kpn", "script": THROWS})
    await wait_outbox_drained(platform.database_url)
    codecs = await TopicReader(platform.kafka_bootstrap, topics.REGISTRY_CODECS).start()
    try:
        cayenne = await api.ok(
            "POST",
            "/decoders/test",
            {"decoder_id": "cayenne-lpp", "payload_hex": "03670110056700FF", "f_port": 1},
        )
        assert cayenne["decoder"] == {"id": "cayenne-lpp", "version": 1}
        assert [(r["n"], r["u"], r["v"]) for r in cayenne["senml"]] == [
            ("3/temperature", "Cel", 27.2),
            ("5/temperature", "Cel", 25.5),
        ]
        assert cayenne["senml"][0]["bn"] == "urn:dev:DEVEUI:0000000000000000:"
        assert cayenne["error"] is None

        hidden = await api.call(
            "POST", "/decoders/test", {"decoder_id": theirs["id"], "payload_hex": "00"}
        )
        assert hidden.status_code == 404

        own = await api.ok(
            "POST", "/decoders/test", {"decoder_id": mine["id"], "payload_hex": "00"}
        )
        assert own["error"].startswith("Error: bad sensor")
        assert own["senml"] == []

        loop = await api.call(
            "POST",
            "/decoders/test",
            {"script": LOOPS, "contract": "ts013", "payload_base64": "AQ==", "f_port": 1},
        )
        assert loop.status_code == 200
        assert (loop.json()["decoder"], loop.json()["error"]) == (None, "exceeded 50 ms CPU")

        # A change after the trials: it must be the first codec event the reader sees.
        marker = await api.ok("POST", "/decoders", {"name": "x", "contract": "kpn", "script": "1"})
        await wait_outbox_drained(platform.database_url)
        seen = await codecs.wait_for(lambda r: r.key == marker["id"].encode())
        assert [r.key for r in codecs.records] == [r.key for r in seen]
    finally:
        await codecs.stop()


async def test_a_decoder_that_keeps_failing_is_reported_failing(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    _, api = await create_customer(admin)
    project = await api.ok("POST", "/projects", {"name": "p"})
    device_id, dev_eui = await register_lora_device(api)
    diy = await api.ok("POST", "/decoders", {"name": "bad", "contract": "kpn", "script": THROWS})
    await api.ok(
        "POST",
        "/flows",
        {
            "project_id": project["id"],
            "name": "f",
            "device_ids": [device_id],
            "decoder_ids": [diy["id"]],
        },
    )
    assert (await api.ok("GET", f"/decoders/{diy['id']}"))["health"]["status"] == "unknown"
    await wait_outbox_drained(platform.database_url)

    for f_cnt in range(30):
        await produce(producer, dev_eui, lora_uplink(dev_eui, f_cnt))

    async with asyncio.timeout(10):
        while True:
            health = (await api.ok("GET", f"/decoders/{diy['id']}"))["health"]
            if health["status"] == "failing":
                break
            await asyncio.sleep(0.2)
    assert health["last_error"].startswith("Error: bad sensor")
    assert health["version"] == diy["version"]
    assert health["failures"] >= 20

    sample = f'senflow_router_decoder_failing{{decoder="{diy["id"]}"}}'
    port = platform.env["ROUTER_HTTP_PORT"]
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    assert f"{sample} 1.0" in text.splitlines()
