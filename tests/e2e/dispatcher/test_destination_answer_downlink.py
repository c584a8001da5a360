"""An HTTPS destination commanding its device in its answer: a signed SenML command in
the answer to a delivery becomes a `DownlinkRequest` for the registry (with the delivery's
ids), and one downlink with source "destination", even when the same delivery is
delivered, and answered, twice. An answer with a wrong or missing token, or that is no
SenML, asks for nothing, and the delivery still counts as delivered."""

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord

from senflow.common import headers as h
from senflow.common import topics
from senflow.common.downlinks import DownlinkRequest
from senflow.common.message_token import TOKEN_HEADER, message_token
from senflow.common.serde import loads
from senflow.dispatcher.answer_downlinks import REQUEST_NAMESPACE
from tests.support.api import (
    Api,
    create_customer,
    new_destination_secret,
    register_lora_device,
    wait_outbox_drained,
)
from tests.support.kafka import TopicReader, lora_uplink, wait_group_caught_up
from tests.support.platform import Platform
from tests.support.receiver import Answer, WebhookReceiver

pytestmark = pytest.mark.e2e

# What the raw LoRa encoder sends as it is: 0x0164 on port 10.
COMMAND = [{"n": "payload", "vs": "0164"}, {"n": "port", "v": 10}]
SENML = "application/senml+json"
DEFAULT_REGISTRY_GROUP = "senflow-registry-downlinks"
Answering = Callable[[str], Answer]  # the destination's secret -> its answer


def signed(body: bytes, token_secret: str | None = None, **extra: str) -> Answering:
    """An answer carrying `body`, its token made with `token_secret` (by default the
    destination's own; "" for no token)."""

    def answer(secret: str) -> Answer:
        used = secret if token_secret is None else token_secret
        token = {TOKEN_HEADER: message_token(body, used)} if used else {}
        return 200, body, {"Content-Type": SENML, **token, **extra}

    return answer


@dataclass
class Commanding:
    """A customer's LoRa device in a flow (raw decoder and encoder) to an HTTPS destination
    whose receiver answers each delivery as `answers` say, in turn."""

    api: Api
    customer_id: str
    device_id: str
    dev_eui: str
    destination_id: str
    receiver: WebhookReceiver
    requests: TopicReader
    answers: list[Answering]

    def answer(self, _headers: dict[str, str], _body: bytes) -> Answer:
        return self.answers.pop(0)(self.receiver.secret)

    async def uplink(self, producer: AIOKafkaProducer, message_id: str, f_cnt: int = 1) -> None:
        """An uplink with a chosen message id: sent again, it makes the same delivery."""
        await producer.send_and_wait(
            topics.UPLINKS_RAW_LORA,
            key=self.dev_eui.encode(),
            value=lora_uplink(self.dev_eui, f_cnt=f_cnt),
            headers=[(h.MESSAGE_ID, message_id.encode())],
        )

    async def requested(self, count: int) -> list[DownlinkRequest]:
        """The first `count` downlink requests for the device (key = device id)."""
        records = await self.requests.wait_for(self._for_device, count, timeout_s=30)
        return [loads(DownlinkRequest, r.value) for r in records]

    def _for_device(self, record: ConsumerRecord[bytes, bytes]) -> bool:
        return bool(record.key == self.device_id.encode())


@pytest.fixture
async def commanding(platform: Platform, admin: Api) -> AsyncIterator[Commanding]:
    receiver = await WebhookReceiver(secret=new_destination_secret()).start()
    requests = await TopicReader(platform.kafka_bootstrap, topics.DOWNLINK_REQUESTS).start()
    try:
        customer_id, api = await create_customer(admin)
        project = await api.ok("POST", "/projects", {"name": "p"})
        device_id, dev_eui = await register_lora_device(api)
        destination = await api.ok(
            "POST",
            "/destinations",
            {"name": "commands", "config": {"url": receiver.url}, "secret": receiver.secret},
        )
        await api.ok(
            "POST",
            "/flows",
            {
                "project_id": project["id"],
                "name": "f",
                "device_ids": [device_id],
                "destination_ids": [destination["id"]],
                "decoder_ids": ["lora-raw"],
                "encoder_ids": ["lora-raw-encoder"],
            },
        )
        await wait_outbox_drained(platform.database_url)
        setup = Commanding(
            api, customer_id, device_id, dev_eui, destination["id"], receiver, requests, []
        )
        receiver.answer = setup.answer
        yield setup
    finally:
        await requests.stop()
        await receiver.stop()


async def registry_caught_up(platform: Platform) -> None:
    group = platform.env.get("REGISTRY_DOWNLINK_GROUP_ID", DEFAULT_REGISTRY_GROUP)
    await wait_group_caught_up(platform.kafka_bootstrap, group, topics.DOWNLINK_REQUESTS)


async def answers_refused(platform: Platform, reason: str) -> float:
    url = f"http://127.0.0.1:{platform.env['DISPATCHER_HTTP_PORT']}/metrics"
    async with httpx.AsyncClient(timeout=10) as client:
        text = (await client.get(url)).text
    sample = f'senflow_dispatcher_answer_downlinks_total{{result="{reason}"}} '
    found = [line for line in text.splitlines() if line.startswith(sample)]
    return float(found[0].rsplit(" ", 1)[1]) if found else 0.0


async def test_a_signed_command_makes_one_downlink_even_when_its_delivery_is_answered_twice(
    platform: Platform, producer: AIOKafkaProducer, commanding: Commanding
) -> None:
    command = signed(
        orjson.dumps(COMMAND),
        **{"Senflow-Downlink-Ttl": "600", "Senflow-Downlink-Confirmed": "true"},
    )
    commanding.answers = [command, command]
    message_id = str(uuid.uuid4())
    await commanding.uplink(producer, message_id)

    [request] = await commanding.requested(1)
    [delivered] = await commanding.receiver.wait_accepted(1)
    delivery_id = delivered.headers["Senflow-Delivery-Id"]
    assert request.request_id == str(uuid.uuid5(REQUEST_NAMESPACE, delivery_id))
    assert (request.customer_id, request.device_id, request.destination_id) == (
        commanding.customer_id,
        commanding.device_id,
        commanding.destination_id,
    )
    assert request.delivery_id == delivery_id
    assert [r.model_dump(exclude_none=True) for r in request.command.senml or ()] == COMMAND
    assert (request.ttl_s, request.confirmed) == (600, True)

    # The same uplink again (same message id): the same delivery, answered again.
    await commanding.uplink(producer, message_id)
    again = await commanding.requested(2)
    assert again[1] == again[0].model_copy(update={"requested_at": again[1].requested_at})
    assert [r.headers["Senflow-Delivery-Id"] for r in commanding.receiver.accepted] == [
        delivery_id,
        delivery_id,
    ]

    await registry_caught_up(platform)
    listed = await commanding.api.ok("GET", f"/devices/{commanding.device_id}/downlinks")
    [downlink] = listed["items"]
    assert downlink["id"] == request.request_id
    assert (downlink["source"], downlink["destination_id"]) == (
        "destination",
        commanding.destination_id,
    )
    assert downlink["command"]["senml"] == COMMAND
    assert downlink["confirmed"] is True


@pytest.mark.parametrize(
    ("refused", "reason"),
    [
        (signed(orjson.dumps(COMMAND), token_secret="someone else's secret"), "token-mismatch"),
        (signed(orjson.dumps(COMMAND), token_secret=""), "token-missing"),
        (signed(b'{"setpoint": 21.5}'), "invalid-senml"),
    ],
    ids=["wrong-token", "no-token", "not-senml"],
)
async def test_an_answer_that_is_not_the_owner_s_senml_command_asks_for_nothing(
    platform: Platform,
    producer: AIOKafkaProducer,
    commanding: Commanding,
    refused: Answering,
    reason: str,
) -> None:
    before = await answers_refused(platform, reason)
    # The device's second delivery follows the first (one device's deliveries to a
    # destination are in order), so its request comes after any the first could make.
    commanding.answers = [refused, signed(orjson.dumps(COMMAND))]
    await commanding.uplink(producer, str(uuid.uuid4()), f_cnt=1)
    await commanding.uplink(producer, str(uuid.uuid4()), f_cnt=2)

    [request] = await commanding.requested(1)
    first, second = await commanding.receiver.wait_accepted(2)
    assert request.delivery_id == second.headers["Senflow-Delivery-Id"]
    assert first.answered == 200  # delivered, whatever the answer held
    assert await answers_refused(platform, reason) >= before + 1

    await registry_caught_up(platform)
    listed = await commanding.api.ok("GET", f"/devices/{commanding.device_id}/downlinks")
    assert [d["id"] for d in listed["items"]] == [request.request_id]
