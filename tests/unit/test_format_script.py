"""Destination format scripts: what `format(pack)` may answer and how it is sent, its
failures (thrown, capped, unusable) as `format-failed` dead letters, compiling once per
destination and script, and every sink sending the formatted bytes."""

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from ipaddress import ip_network
from typing import Any

import aiohttp
import orjson
import pytest

from senflow.codecs.format_script import FormatScript
from senflow.codecs.script_engine import ScriptFailed, ScriptLimits
from senflow.common.events import (
    DestinationSnapshot,
    HttpsConfig,
    KafkaTopicConfig,
    TestEndpointConfig,
)
from senflow.dispatcher.egress import EgressPolicy, GuardedResolver
from senflow.dispatcher.errors import DeliveryFailed
from senflow.dispatcher.sinks import payload
from senflow.dispatcher.sinks.https import HttpsSink
from senflow.dispatcher.sinks.kafka_topic import KafkaTopicSink
from senflow.dispatcher.sinks.mqtt import publish_properties
from senflow.dispatcher.sinks.payload import Bodies, Body, body_of
from senflow.dispatcher.sinks.test_endpoint import as_test_message
from tests.support.deliveries import SECRETS_KEY, a_delivery, a_destination
from tests.support.receiver import WebhookReceiver

PACK = body_of(a_delivery())
SECRET = "Xk9#mP2$vL7qR4@nW8zT1&bY6^cF3!hJ"
RESHAPE = "function format(pack) { return {device: pack[0].bn, port: pack[1].v}; }"
RESHAPED = b'{"device":"urn:dev:DEVEUI:0123456789ABCDEF:","port":2}'


@pytest.mark.parametrize(
    ("script", "body", "content_type"),
    [
        (RESHAPE, RESHAPED, "application/json"),
        ("function format(pack) { return pack.map(r => r.n); }", b'["payload","port"]', None),
        ("function format(pack) { return 'port=' + pack[1].v; }", b"port=2", "text/plain"),
        ("function format(pack) { return '{\"v\": 2}'; }", b'{"v": 2}', "application/json"),
        ("function format(pack) { return 'NaN'; }", b"NaN", "text/plain"),
        ("function format(pack) { return ''; }", b"", "text/plain"),
    ],
)
def test_answer_is_sent_as_json_or_text_when_format_returns_it(
    script: str, body: bytes, content_type: str | None
) -> None:
    formatted = FormatScript(script).format(PACK)
    assert formatted.data == body
    assert formatted.content_type.startswith(content_type or "application/json")


@pytest.mark.parametrize(
    ("script", "limits", "reason"),
    [
        ("function format() { throw new Error('no'); }", None, r"^Error: no"),
        ("function format() {\n  while (true) {}\n}", None, r"^exceeded 50 ms CPU$"),
        ("function format() { while (true) {} }", ScriptLimits(cpu_ms=5), r"^exceeded 5 ms CPU$"),
        ("function format() { return 'x'.repeat(70000); }", None, r"^output larger than"),
        ("function format() { return null; }", None, r"not null$"),
        ("function format() { return 42; }", None, r"not number$"),
        ("function format() {}", None, r"not undefined"),
    ],
)
def test_a_failing_or_greedy_call_raises_script_failed(
    script: str, limits: ScriptLimits | None, reason: str
) -> None:
    compiled = FormatScript(script, limits) if limits else FormatScript(script)
    with pytest.raises(ScriptFailed, match=reason):
        compiled.format(PACK)


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("function fmt(pack) { return pack; }", r"^the script defines no format\(\) function$"),
        ("function format(pack) {\n  return 1 +;\n}", r"^SyntaxError"),
        ("// " + "x" * 65_536, r"^script larger than 65536 bytes$"),
    ],
)
def test_a_bad_script_is_refused_when_compiled(script: str, reason: str) -> None:
    with pytest.raises(ScriptFailed, match=reason):
        FormatScript(script)


def test_a_call_does_not_see_state_left_by_the_previous_call() -> None:
    compiled = FormatScript("var n = 0; function format() { n++; return {n: n}; }")
    assert [compiled.format(PACK).data for _ in range(3)] == [b'{"n":1}'] * 3


def _scripted(script: str | None, kind: str = "test", config: Any = None) -> DestinationSnapshot:
    destination = a_destination(kind, config or TestEndpointConfig(), SECRET)  # type: ignore[arg-type]
    return destination.model_copy(update={"format_script": script})


async def test_bodies_are_the_senml_json_without_a_script() -> None:
    assert await Bodies().of(a_delivery(), _scripted(None)) == Body(PACK, "application/json")


@pytest.mark.parametrize(
    ("script", "detail"),
    [
        ("function format() { throw new Error('no'); }", "Error: no"),
        ("function format() { while (true) {} }", "exceeded 50 ms CPU"),
        ("function format(", "the format script does not compile: SyntaxError"),
    ],
)
async def test_a_script_failure_is_a_format_failure_that_is_not_retried(
    script: str, detail: str
) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await Bodies().of(a_delivery(), _scripted(script))
    assert (failed.value.reason, failed.value.retriable) == ("format-failed", False)
    assert failed.value.detail.startswith(detail)


async def test_a_script_is_compiled_once_per_destination_and_script_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compiled: list[str] = []

    def counted(script: str, *args: Any) -> FormatScript:
        compiled.append(script)
        return FormatScript(script, *args)

    monkeypatch.setattr(payload, "FormatScript", counted)
    bodies = Bodies()
    changed = "function format() { return 'changed'; }"
    for script in (RESHAPE, RESHAPE, RESHAPE, changed, changed):
        await bodies.of(a_delivery(), _scripted(script))
    assert compiled == [RESHAPE, changed]


async def test_the_test_endpoint_keeps_the_formatted_body_signed_over_its_bytes() -> None:
    destination = _scripted("function format(pack) { return 'port=' + pack[1].v; }")
    body = await Bodies().of(a_delivery(), destination)
    at = datetime(2026, 11, 25, 12, tzinfo=UTC)
    message = as_test_message(a_delivery(), destination, SECRET, 1, at, body)
    assert message.body == "port=2"
    assert message.headers["Content-Type"] == "text/plain; charset=utf-8"
    expected = hashlib.sha256(b"port=2" + SECRET.encode()).hexdigest()
    assert message.headers["Things-Message-Token"] == expected


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send_and_wait(self, topic: str, **record: Any) -> None:
        self.sent.append({"topic": topic, **record})


async def test_a_kafka_destination_gets_the_formatted_body_as_its_record_value() -> None:
    producer = FakeProducer()
    sink = KafkaTopicSink(producer, SECRETS_KEY, EgressPolicy(()), timeout_s=1)
    await sink.deliver(a_delivery(), _scripted(RESHAPE, "kafka", KafkaTopicConfig(topic="t")), 1)
    [sent] = producer.sent
    assert orjson.loads(sent["value"]) == orjson.loads(RESHAPED)


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    hook = await WebhookReceiver(SECRET).start()
    yield hook
    await hook.stop()


async def test_an_https_receiver_gets_the_formatted_body_with_a_token_over_it(
    receiver: WebhookReceiver,
) -> None:
    egress = EgressPolicy((ip_network("127.0.0.1/32"),))
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(egress))
    async with aiohttp.ClientSession(connector=connector) as session:
        sink = HttpsSink(session, SECRETS_KEY, egress, timeout_s=5, excerpt_bytes=100)
        destination = _scripted(RESHAPE, "https", HttpsConfig(url=receiver.url))
        await sink.deliver(a_delivery(), destination, 1)
    [request] = receiver.requests
    assert (request.body, request.token_valid) == (RESHAPED, True)
    assert request.headers["Content-Type"] == "application/json"


def test_an_mqtt_5_publish_names_the_formatted_body_s_content_type() -> None:
    props = publish_properties(a_delivery(), "text/plain; charset=utf-8")
    assert props.ContentType == "text/plain; charset=utf-8"
