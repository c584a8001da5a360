"""Each kind of destination failure takes its documented path."""

import json

import pytest
from aiokafka import AIOKafkaProducer

from senflow.common import headers as h
from senflow.common import topics
from tests.support.api import Api, create_tenant, wait_outbox_drained
from tests.support.kafka import TopicReader, header, lora_uplink, produce
from tests.support.platform import Platform
from tests.support.processes import free_port
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e


async def _dead_letters(platform: Platform) -> TopicReader:
    return await TopicReader(platform.kafka_bootstrap, topics.DELIVERIES_DEADLETTER).start()


async def test_delivery_is_retried_with_same_message_id_when_destination_answers_503(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    receiver = await WebhookReceiver(secret="", script=[503, 503]).start()
    try:
        tenant = await create_tenant(admin, receiver.url, platform.database_url)
        receiver.secret = tenant.destination_secret
        await produce(producer, tenant.dev_eui, lora_uplink(tenant.dev_eui, f_cnt=1))

        [accepted] = await receiver.wait_accepted(1)
        assert [r.answered for r in receiver.requests] == [503, 503, 204]
        assert [r.headers["Senflow-Attempt"] for r in receiver.requests] == ["1", "2", "3"]
        assert {r.headers["Senflow-Message-Id"] for r in receiver.requests} == {
            accepted.headers["Senflow-Message-Id"]
        }
        assert all(r.body == accepted.body for r in receiver.requests)
    finally:
        await receiver.stop()


async def test_delivery_is_dead_lettered_without_retry_when_destination_answers_400(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    dead_letters = await _dead_letters(platform)
    receiver = await WebhookReceiver(secret="", script=[400]).start()
    try:
        tenant = await create_tenant(admin, receiver.url, platform.database_url)
        await produce(producer, tenant.dev_eui, lora_uplink(tenant.dev_eui, f_cnt=1))

        [dead] = await dead_letters.wait_for(
            lambda r: header(r, h.DESTINATION_ID) == tenant.destination_id
        )
        assert header(dead, h.DLQ_REASON) == "http-status"
        assert header(dead, h.DLQ_STATUS_CODE) == "400"
        assert header(dead, h.DLQ_ATTEMPTS) == "1"
        assert header(dead, "senflow-dlq-response-excerpt") == "scripted answer"
        assert json.loads(dead.value)["destination_id"] == tenant.destination_id
        assert len(receiver.requests) == 1
    finally:
        await receiver.stop()
        await dead_letters.stop()


async def test_delivery_is_dead_lettered_after_all_attempts_when_connection_is_refused(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    dead_letters = await _dead_letters(platform)
    try:
        tenant = await create_tenant(
            admin, f"http://127.0.0.1:{free_port()}/nobody-listens", platform.database_url
        )
        await produce(producer, tenant.dev_eui, lora_uplink(tenant.dev_eui, f_cnt=1))

        [dead] = await dead_letters.wait_for(
            lambda r: header(r, h.DESTINATION_ID) == tenant.destination_id
        )
        assert header(dead, h.DLQ_REASON) == "connection-failed"
        assert header(dead, h.DLQ_ATTEMPTS) == platform.env["DISPATCHER_MAX_ATTEMPTS"]
    finally:
        await dead_letters.stop()


async def test_delivery_is_refused_when_destination_is_a_loopback_address_not_allowed(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    dead_letters = await _dead_letters(platform)
    try:
        # 127.0.0.2 is loopback but outside the allow-list (127.0.0.1/32): never called.
        tenant = await create_tenant(admin, "http://127.0.0.2:9/hook", platform.database_url)
        await produce(producer, tenant.dev_eui, lora_uplink(tenant.dev_eui, f_cnt=1))

        [dead] = await dead_letters.wait_for(
            lambda r: header(r, h.DESTINATION_ID) == tenant.destination_id
        )
        assert header(dead, h.DLQ_REASON) == "egress-refused"
        assert header(dead, h.DLQ_ATTEMPTS) == "1"
    finally:
        await dead_letters.stop()


async def test_delivery_is_retried_then_dead_lettered_when_destination_times_out(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    dead_letters = await _dead_letters(platform)
    receiver = await WebhookReceiver(secret="", delay_s=2.0).start()  # answers too late
    try:
        tenant = await create_tenant(admin, receiver.url, platform.database_url)
        await tenant.api.ok(
            "PATCH",
            f"/destinations/{tenant.destination_id}",
            {"config": {"url": receiver.url, "timeout_s": 0.5}},
        )
        await wait_outbox_drained(platform.database_url)
        await produce(producer, tenant.dev_eui, lora_uplink(tenant.dev_eui, f_cnt=1))

        [dead] = await dead_letters.wait_for(
            lambda r: header(r, h.DESTINATION_ID) == tenant.destination_id, timeout_s=60
        )
        assert header(dead, h.DLQ_REASON) == "timeout"
        attempts = platform.env["DISPATCHER_MAX_ATTEMPTS"]
        assert header(dead, h.DLQ_ATTEMPTS) == attempts
        # Each attempt reached the receiver (and was given up on): retried, same delivery.
        assert len(receiver.requests) <= int(attempts)
    finally:
        await receiver.stop()
        await dead_letters.stop()
