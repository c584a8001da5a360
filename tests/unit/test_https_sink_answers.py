"""The HTTPS sink and a destination's answer: a signed SenML command becomes a downlink
request once the delivery is accepted; a wrong, large or failing answer changes nothing
about the delivery, and is counted by reason without its content in the logs."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from ipaddress import ip_network

import aiohttp
import orjson
import pytest
from aiohttp import web
from prometheus_client import REGISTRY

from senflow.common.downlinks import DownlinkRequest
from senflow.common.events import HttpsConfig
from senflow.common.message_token import message_token
from senflow.dispatcher.answer_downlinks import request_id_of
from senflow.dispatcher.egress import EgressPolicy, GuardedResolver
from senflow.dispatcher.errors import DeliveryFailed
from senflow.dispatcher.sinks import https
from senflow.dispatcher.sinks.https import HttpsSink
from tests.support.deliveries import SECRETS_KEY, a_delivery, a_destination
from tests.support.receiver import Answer, WebhookReceiver

SECRET = "Sf-0a1b2c3d4e5f60718293a4b5c6d7e8f9Aa1!"
COMMAND = [{"n": "payload", "vs": "C0FFEE"}, {"n": "port", "v": 10}]
SENML = "application/senml+json"


class InMemoryDownlinkRequester:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.requests: list[DownlinkRequest] = []
        self.fail_with = fail_with

    async def request(self, request: DownlinkRequest) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.requests.append(request)


def answering(
    body: bytes, status: int = 200, secret: str = SECRET, headers: dict[str, str] | None = None
) -> Callable[[dict[str, str], bytes], Answer]:
    """The receiver's answer: `body`, signed with `secret` (none when empty)."""
    token = {"Things-Message-Token": message_token(body, secret)} if secret else {}
    extra = headers or {}
    return lambda _headers, _body: (status, body, {"Content-Type": SENML, **token, **extra})


def answers_total(result: str) -> float:
    value = REGISTRY.get_sample_value(
        "senflow_dispatcher_answer_downlinks_total", {"result": result}
    )
    return value or 0.0


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    hook = await WebhookReceiver(SECRET).start()
    yield hook
    await hook.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    egress = EgressPolicy((ip_network("127.0.0.1/32"),))
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(egress))
    async with aiohttp.ClientSession(connector=connector) as client:
        yield client


def sink_for(session: aiohttp.ClientSession, requester: InMemoryDownlinkRequester) -> HttpsSink:
    egress = EgressPolicy((ip_network("127.0.0.1/32"),))
    return HttpsSink(session, SECRETS_KEY, egress, 5, 100, downlinks=requester)


async def deliver(
    receiver: WebhookReceiver,
    session: aiohttp.ClientSession,
    requester: InMemoryDownlinkRequester,
    **config: object,
) -> None:
    await deliver_to(receiver.url, session, requester, **config)


async def deliver_to(
    url: str, session: aiohttp.ClientSession, requester: InMemoryDownlinkRequester, **config: object
) -> None:
    destination = a_destination("https", HttpsConfig.model_validate({"url": url, **config}), SECRET)
    await sink_for(session, requester).deliver(a_delivery(), destination, 1)


async def test_a_signed_command_in_the_answer_becomes_a_request_for_the_device(
    receiver: WebhookReceiver, session: aiohttp.ClientSession
) -> None:
    requester = InMemoryDownlinkRequester()
    receiver.answer = answering(
        orjson.dumps(COMMAND),
        status=201,
        headers={"Senflow-Downlink-Ttl": "600", "Senflow-Downlink-Confirmed": "true"},
    )
    before = answers_total("requested")
    await deliver(receiver, session, requester)
    [request] = requester.requests
    delivery = a_delivery()
    assert request.request_id == request_id_of(delivery.delivery_id)
    assert (request.device_id, request.customer_id, request.delivery_id) == (
        delivery.device_id,
        delivery.customer_id,
        delivery.delivery_id,
    )
    assert request.destination_id == delivery.destination_id
    assert [r.model_dump(exclude_none=True) for r in request.command.senml or ()] == COMMAND
    assert (request.ttl_s, request.confirmed) == (600, True)
    assert answers_total("requested") == before + 1


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (answering(orjson.dumps(COMMAND), secret="not the destination's"), "token-mismatch"),
        (answering(orjson.dumps(COMMAND), secret=""), "token-missing"),
        (answering(b'{"setpoint": 21.5}'), "invalid-senml"),
        (
            answering(orjson.dumps(COMMAND), headers={"Senflow-Downlink-Ttl": "forever"}),
            "invalid-ttl",
        ),
        (answering(b"[" + b" " * 20_000 + orjson.dumps(COMMAND)[1:]), "too-large"),
    ],
)
async def test_a_wrong_answer_requests_nothing_and_the_delivery_still_succeeds(
    receiver: WebhookReceiver,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    answer: Callable[[dict[str, str], bytes], Answer],
    reason: str,
) -> None:
    requester = InMemoryDownlinkRequester()
    receiver.answer = answer
    before = answers_total(reason)
    with caplog.at_level(logging.INFO, logger="senflow.dispatcher"):
        await deliver(receiver, session, requester)
    assert requester.requests == []
    assert answers_total(reason) == before + 1
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert getattr(warning, "destination_id", None) == a_delivery().destination_id
    assert reason in warning.getMessage()
    assert "C0FFEE" not in caplog.text and "setpoint" not in caplog.text


async def test_a_request_kafka_does_not_take_leaves_the_delivery_delivered(
    receiver: WebhookReceiver, session: aiohttp.ClientSession
) -> None:
    requester = InMemoryDownlinkRequester(fail_with=TimeoutError())
    receiver.answer = answering(orjson.dumps(COMMAND))
    before = answers_total("not-published")
    await deliver(receiver, session, requester)
    assert answers_total("not-published") == before + 1


@pytest.mark.parametrize(
    ("status", "content_type"), [(202, SENML), (200, "application/json"), (204, SENML)]
)
async def test_other_accepted_answers_are_plain_acknowledgements(
    receiver: WebhookReceiver, session: aiohttp.ClientSession, status: int, content_type: str
) -> None:
    requester = InMemoryDownlinkRequester()
    body = b"" if status == 204 else orjson.dumps(COMMAND)
    receiver.answer = answering(body, status=status, headers={"Content-Type": content_type})
    before = {r: answers_total(r) for r in ("requested", "token-mismatch", "invalid-senml")}
    await deliver(receiver, session, requester)
    assert requester.requests == []
    assert {r: answers_total(r) for r in before} == before


async def test_a_failed_delivery_s_answer_is_never_read_as_a_command(
    receiver: WebhookReceiver, session: aiohttp.ClientSession
) -> None:
    requester = InMemoryDownlinkRequester()
    receiver.answer = answering(orjson.dumps(COMMAND), status=201)
    with pytest.raises(DeliveryFailed) as failed:
        await deliver(receiver, session, requester, expected_status=200)
    assert failed.value.reason == "http-status"
    assert requester.requests == []


async def test_without_a_requester_the_answer_is_not_read_for_commands(
    receiver: WebhookReceiver, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def must_not_read(*_: object) -> None:
        raise AssertionError("the answer was read for a command")

    monkeypatch.setattr(https, "read_answer", must_not_read)
    receiver.answer = answering(orjson.dumps(COMMAND))
    egress = EgressPolicy((ip_network("127.0.0.1/32"),))
    destination = a_destination("https", HttpsConfig(url=receiver.url), SECRET)
    await HttpsSink(session, SECRETS_KEY, egress, 5, 100).deliver(a_delivery(), destination, 1)
    assert receiver.accepted[0].token_valid


class StreamingDestination:
    """Answers 200 senml+json in chunks, without a Content-Length; `stall_s` after the
    first chunk."""

    def __init__(self, chunks: list[bytes], token: str, stall_s: float = 0.0) -> None:
        self._chunks = chunks
        self._token = token
        self._stall_s = stall_s
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> "StreamingDestination":
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        resp = web.StreamResponse(
            status=200, headers={"Content-Type": SENML, "Things-Message-Token": self._token}
        )
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for n, chunk in enumerate(self._chunks):
            await resp.write(chunk)
            if n == 0 and self._stall_s:
                await asyncio.sleep(self._stall_s)
        await resp.write_eof()
        return resp


@pytest.mark.parametrize(
    ("chunks", "stall_s", "result"),
    [
        ([orjson.dumps(COMMAND)[:7], orjson.dumps(COMMAND)[7:]], 0.0, "requested"),
        ([b"[" + b" " * 4096] * 5 + [orjson.dumps(COMMAND)[1:]], 0.0, "too-large"),
        ([orjson.dumps(COMMAND)[:7], orjson.dumps(COMMAND)[7:]], 1.0, "unreadable"),
    ],
)
async def test_a_streamed_answer_is_read_up_to_the_limit_and_within_the_timeout(
    session: aiohttp.ClientSession, chunks: list[bytes], stall_s: float, result: str
) -> None:
    token = message_token(b"".join(chunks), SECRET)
    destination = await StreamingDestination(chunks, token, stall_s).start()
    try:
        requester = InMemoryDownlinkRequester()
        before = answers_total(result)
        await deliver_to(destination.url, session, requester, timeout_s=0.5)
        assert answers_total(result) == before + 1
        assert len(requester.requests) == (1 if result == "requested" else 0)
    finally:
        await destination.stop()
