"""Fan-out: every destination of every flow, each delivery with its own id; a flow whose
decoder fails is dead-lettered on its own while the device's other flows still deliver."""

import json

import pytest
from aiokafka import AIOKafkaProducer

from senflow.common import headers as h
from senflow.common import topics
from tests.support.api import Api, create_tenant, register_lora_device, wait_outbox_drained
from tests.support.kafka import TopicReader, header, lora_uplink, produce
from tests.support.platform import Platform
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e


async def test_two_flows_to_one_destination_make_two_deliveries_with_distinct_ids(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    receiver = await WebhookReceiver(secret="").start()
    try:
        tenant = await create_tenant(admin, receiver.url, platform.database_url)
        receiver.secret = tenant.destination_secret
        await tenant.api.ok(
            "POST",
            "/flows",
            {
                "project_id": tenant.project_id,
                "name": "second",
                "device_ids": [tenant.device_id],
                "destination_ids": [tenant.destination_id],
                "decoder_ids": ["lora-raw"],
            },
        )
        await wait_outbox_drained(platform.database_url)
        await produce(producer, tenant.dev_eui, lora_uplink(tenant.dev_eui, f_cnt=1))

        first, second = await receiver.wait_accepted(2)
        assert first.headers["Senflow-Message-Id"] == second.headers["Senflow-Message-Id"]
        assert first.headers["Senflow-Delivery-Id"] != second.headers["Senflow-Delivery-Id"]
        assert first.body == second.body
    finally:
        await receiver.stop()


async def test_failing_flow_is_dead_lettered_alone_when_another_flow_delivers(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    dead_letters = await TopicReader(platform.kafka_bootstrap, topics.UPLINKS_DEADLETTER).start()
    receiver = await WebhookReceiver(secret="").start()
    try:
        tenant = await create_tenant(admin, receiver.url, platform.database_url)
        receiver.secret = tenant.destination_secret
        # A DIY decoder that throws on every uplink.
        diy = await tenant.api.ok(
            "POST",
            "/decoders",
            {
                "name": "mine",
                "contract": "kpn",
                "script": "function main(s){ throw new Error('bad sensor') }",
            },
        )
        broken = await tenant.api.ok(
            "POST",
            "/flows",
            {
                "project_id": tenant.project_id,
                "name": "broken",
                "device_ids": [tenant.device_id],
                "destination_ids": [tenant.destination_id],
                "decoder_ids": [diy["id"]],
            },
        )
        await wait_outbox_drained(platform.database_url)
        await produce(producer, tenant.dev_eui, lora_uplink(tenant.dev_eui, f_cnt=1))

        [delivered] = await receiver.wait_accepted(1)
        assert json.loads(delivered.body)[0]["n"] == "payload"
        [dead] = await dead_letters.wait_for(lambda r: header(r, h.FLOW_ID) == broken["id"])
        assert header(dead, h.DLQ_REASON) == "decode-failed"
        assert header(dead, h.DECODER) == diy["id"]
        assert header(dead, h.DEVICE_ID) == tenant.device_id
    finally:
        await receiver.stop()
        await dead_letters.stop()


async def test_secrets_never_reach_the_logs(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    receiver = await WebhookReceiver(secret="").start()
    try:
        tenant = await create_tenant(admin, receiver.url, platform.database_url)
        receiver.secret = tenant.destination_secret
        await produce(producer, tenant.dev_eui, lora_uplink(tenant.dev_eui, f_cnt=1))
        await receiver.wait_accepted(1)
    finally:
        await receiver.stop()
    secrets = [
        tenant.destination_secret,
        tenant.api.token,
        platform.admin_token,
        platform.env["SENFLOW_SECRETS_KEY"],
    ]
    for service in (platform.registry, platform.router, platform.dispatcher):
        text = service.log_path.read_text(errors="replace")
        assert text, f"{service.name} logged nothing: the check would prove nothing"
        for secret in secrets:
            assert secret not in text, f"{service.name} logged a secret"


async def test_cayenne_lpp_uplink_reaches_the_destination_decoded(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    receiver = await WebhookReceiver(secret="").start()
    try:
        tenant = await create_tenant(admin, receiver.url, platform.database_url)
        receiver.secret = tenant.destination_secret
        device_id, dev_eui = await register_lora_device(tenant.api, "lpp", "cayenne-lpp-lora")
        await tenant.api.ok(
            "POST",
            "/flows",
            {
                "project_id": tenant.project_id,
                "name": "lpp",
                "device_ids": [device_id],
                "destination_ids": [tenant.destination_id],
                "decoder_ids": ["cayenne-lpp"],
            },
        )
        await wait_outbox_drained(platform.database_url)
        # The Cayenne LPP specification's example: channel 3 27.2 °C, channel 5 25.5 °C.
        await produce(
            producer, dev_eui, lora_uplink(dev_eui, f_cnt=1, payload_hex="03670110056700FF")
        )

        [request] = await receiver.wait_accepted(1)
        pack = json.loads(request.body)
        assert pack[0]["bn"] == f"urn:dev:DEVEUI:{dev_eui}:"
        assert [(r["n"], r["u"], r["v"]) for r in pack] == [
            ("3/temperature", "Cel", 27.2),
            ("5/temperature", "Cel", 25.5),
        ]
        assert request.token_valid
    finally:
        await receiver.stop()


async def test_diy_decoder_output_reaches_the_destination(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    receiver = await WebhookReceiver(secret="").start()
    try:
        tenant = await create_tenant(admin, receiver.url, platform.database_url)
        receiver.secret = tenant.destination_secret
        script = (
            "function decodeUplink(input) {"
            " return {data: {temperature: ((input.bytes[0] << 8) | input.bytes[1]) / 10,"
            " door: {open: input.fPort === 2}}}; }"
        )
        codec = await tenant.api.ok(
            "POST", "/decoders", {"name": "vendor", "contract": "ts013", "script": script}
        )
        await tenant.api.ok("PATCH", f"/flows/{tenant.flow_id}", {"decoder_ids": [codec["id"]]})
        await wait_outbox_drained(platform.database_url)
        await produce(
            producer, tenant.dev_eui, lora_uplink(tenant.dev_eui, f_cnt=1, payload_hex="00FA")
        )

        [request] = await receiver.wait_accepted(1)
        pack = json.loads(request.body)
        assert pack[0]["bn"] == f"urn:dev:DEVEUI:{tenant.dev_eui}:"
        assert {r["n"]: r.get("v", r.get("vb")) for r in pack} == {
            "temperature": 25.0,
            "door/open": True,
        }
    finally:
        await receiver.stop()
