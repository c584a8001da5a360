"""The router never stops on bad input: 10,000 fuzzed uplinks, each dead-lettered with its
cause, and the valid uplink behind them still delivered."""

import json
import random
import secrets
import string

import pytest
from aiokafka import AIOKafkaProducer

from senflow.common import headers as h
from senflow.common import topics
from tests.support.api import Api, create_tenant
from tests.support.kafka import TopicReader, header, lora_uplink
from tests.support.platform import Platform
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

FUZZED = 10_000


def _fuzzed(rng: random.Random, known_dev_eui: str) -> bytes:
    """One malformed or unroutable uplink, of a kind picked at random."""
    kind = rng.randrange(7)
    if kind == 0:  # random bytes
        return rng.randbytes(rng.randrange(0, 300))
    if kind == 1:  # broken JSON
        return lora_uplink(known_dev_eui, 1)[: rng.randrange(1, 40)]
    if kind == 2:  # wrong types
        return json.dumps(
            {"dev_eui": 42, "f_port": "x", "f_cnt_up": [], "payload_hex": None}
        ).encode()
    if kind == 3:  # a huge payload (over the contract's cap)
        return lora_uplink(known_dev_eui, 1, payload_hex="AB" * rng.randrange(257, 4_000))
    if kind == 4:  # not hex
        return lora_uplink(known_dev_eui, 1, payload_hex="ZZ")
    if kind == 5:  # unknown device
        return lora_uplink(secrets.token_hex(8), 1)
    # unknown fields / wrong shape
    text = "".join(rng.choices(string.printable, k=rng.randrange(1, 80)))
    return json.dumps({"dev_eui": known_dev_eui, "f_port": 1, "noise": text}).encode()


async def test_router_dead_letters_10k_fuzzed_uplinks_and_delivers_the_next_valid_one(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    dead_letters = await TopicReader(platform.kafka_bootstrap, topics.UPLINKS_DEADLETTER).start()
    receiver = await WebhookReceiver(secret="").start()
    rng = random.Random(20261125)
    run = secrets.token_hex(4)
    try:
        tenant = await create_tenant(admin, receiver.url, platform.database_url)
        receiver.secret = tenant.destination_secret
        key = f"fuzz-{run}".encode()  # one partition: the valid uplink is behind all of them
        for _ in range(FUZZED):
            await producer.send(
                topics.UPLINKS_RAW_LORA, key=key, value=_fuzzed(rng, tenant.dev_eui)
            )
        valid = lora_uplink(tenant.dev_eui, 7)
        await producer.send_and_wait(topics.UPLINKS_RAW_LORA, key=key, value=valid)

        [request] = await receiver.wait_accepted(1, timeout_s=180)
        assert request.token_valid
        dead = await dead_letters.wait_for(lambda r: r.key == key, count=FUZZED, timeout_s=60)
        assert len(dead) == FUZZED
        reasons = {header(r, h.DLQ_REASON) for r in dead}
        assert reasons == {"invalid-uplink", "unknown-device"}
        assert all(header(r, h.DLQ_DETAIL) for r in dead)
    finally:
        await receiver.stop()
        await dead_letters.stop()
