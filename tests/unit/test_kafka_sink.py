"""The Kafka topic sink's pure parts (key, headers, body, bootstrap, failure classes) and
its refusals, with a fake producer in place of Kafka."""

import asyncio
from ipaddress import ip_network
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from aiokafka.errors import (
    InvalidTopicError,
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NotEnoughReplicasError,
    TopicAuthorizationFailedError,
)

from senflow.common.events import KafkaTopicConfig
from senflow.common.key_templates import key_template_error
from senflow.dispatcher.egress import EgressPolicy
from senflow.dispatcher.errors import DeliveryFailed, EgressRefused
from senflow.dispatcher.sinks.kafka_send import kafka_failure, send_record
from senflow.dispatcher.sinks.kafka_topic import (
    KafkaTopicSink,
    bootstrap_hosts,
    record_headers,
    record_key,
)
from senflow.dispatcher.sinks.payload import body_of
from tests.support.deliveries import SECRETS_KEY, a_delivery, a_destination


class FakeProducer:
    """Records what it is asked to send; `hang` makes it never acknowledge."""

    def __init__(self, hang: bool = False, known_topics: tuple[str, ...] = ()) -> None:
        self.sent: list[dict[str, Any]] = []
        self._hang = hang
        cluster = SimpleNamespace(
            partitions_for_topic=lambda t: {0} if t in known_topics else None,
            brokers=lambda: [],
        )
        self.client = SimpleNamespace(cluster=cluster)

    async def send_and_wait(self, topic: str, **record: Any) -> None:
        if self._hang:
            await asyncio.Event().wait()
        self.sent.append({"topic": topic, **record})


def _sink(producer: FakeProducer, allow: str | None = None) -> KafkaTopicSink:
    egress = EgressPolicy((ip_network(allow),) if allow else ())
    return KafkaTopicSink(producer, SECRETS_KEY, egress, timeout_s=0.05)


@pytest.mark.parametrize(
    ("template", "key"),
    [
        ("{device_id}", b"dev-1"),
        ("{customer_id}:{flow_id}", b"3f6c1e2a-8b4d-4c7e-9a15-2d8f0b6e4c31:flow-1"),
        ("d/{destination_id}", b"d/e1d2c3b4-a5f6-4e7d-8c9b-0a1f2e3d4c5b"),
        ("{{literal}}", b"{literal}"),
        ("", None),
    ],
)
def test_key_is_the_template_rendered_when_its_placeholders_are_known(
    template: str, key: bytes | None
) -> None:
    assert record_key(template, a_delivery()) == key


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{device}", "unknown placeholder {device}"),
        ("{}", "unknown placeholder {}"),
        ("{0}", "unknown placeholder {0}"),
        ("{device_id.__class__}", "unknown placeholder"),
        ("{device_id:>99999999}", "no format spec"),
        ("{device_id!r}", "no format spec or conversion"),
        ("{device_id", "not a valid template"),
    ],
)
def test_key_template_is_refused_when_it_could_render_anything_else(
    template: str, problem: str
) -> None:
    assert problem in (key_template_error(template) or "")
    with pytest.raises(DeliveryFailed) as failed:
        record_key(template, a_delivery())
    assert (failed.value.reason, failed.value.retriable) == ("destination-misconfigured", False)


def test_headers_name_the_message_delivery_device_flow_destination_and_decoder() -> None:
    assert dict(record_headers(a_delivery())) == {
        "senflow-message-id": b"m-1",
        "senflow-delivery-id": b"m-1-to-e1d2c3b4-a5f6-4e7d-8c9b-0a1f2e3d4c5b",
        "senflow-device-id": b"dev-1",
        "senflow-flow-id": b"flow-1",
        "senflow-destination-id": b"e1d2c3b4-a5f6-4e7d-8c9b-0a1f2e3d4c5b",
        "senflow-decoder": b"lora-raw@2",
    }


@pytest.mark.parametrize(
    ("bootstrap", "hosts"),
    [
        ("kafka.example:9093", [("kafka.example", 9093)]),
        ("a:1, b:2", [("a", 1), ("b", 2)]),
        ("kafka.example", [("kafka.example", 9092)]),
        ("[::1]:9094,10.0.0.1:9092", [("::1", 9094), ("10.0.0.1", 9092)]),
    ],
)
def test_bootstrap_is_read_as_the_client_reads_it(
    bootstrap: str, hosts: list[tuple[str, int]]
) -> None:
    assert bootstrap_hosts(bootstrap) == hosts


@pytest.mark.parametrize(
    "err", [KafkaTimeoutError(), NotEnoughReplicasError(), KafkaConnectionError("gone")]
)
def test_kafka_failure_is_retried_when_it_may_pass(err: Exception) -> None:
    failed = kafka_failure(err)
    assert (failed.reason, failed.retriable) == ("kafka-unavailable", True)


@pytest.mark.parametrize(
    "err", [TopicAuthorizationFailedError(), MessageSizeTooLargeError(), InvalidTopicError()]
)
def test_kafka_failure_is_dead_lettered_when_asking_again_cannot_help(err: Exception) -> None:
    failed = kafka_failure(err)
    assert (failed.reason, failed.retriable) == ("kafka-refused", False)


async def test_delivery_is_the_https_body_keyed_and_headed_on_the_platform_cluster() -> None:
    producer = FakeProducer()
    cfg = KafkaTopicConfig(topic="acme.readings", key_template="{customer_id}/{device_id}")
    delivery = a_delivery()
    await _sink(producer).deliver(delivery, a_destination("kafka", cfg), 1)
    [sent] = producer.sent
    assert sent["topic"] == "acme.readings"
    assert sent["key"] == b"3f6c1e2a-8b4d-4c7e-9a15-2d8f0b6e4c31/dev-1"
    assert sent["value"] == body_of(delivery)
    assert orjson.loads(sent["value"])[0]["bn"] == "urn:dev:DEVEUI:0123456789ABCDEF:"
    assert sent["headers"] == record_headers(delivery)


@pytest.mark.parametrize(
    "config",
    [
        KafkaTopicConfig(topic="senflow.deliveries.v1"),
        KafkaTopicConfig(topic="senflow.registry.devices.v1", bootstrap="kafka.example:9092"),
        KafkaTopicConfig(topic="__consumer_offsets"),
    ],
)
async def test_platform_topics_are_refused_on_any_cluster(config: KafkaTopicConfig) -> None:
    producer = FakeProducer()
    with pytest.raises(DeliveryFailed) as failed:
        await _sink(producer).deliver(a_delivery(), a_destination("kafka", config), 1)
    assert (failed.value.reason, failed.value.retriable) == ("destination-misconfigured", False)
    assert producer.sent == []


async def test_external_cluster_is_refused_when_its_bootstrap_is_internal() -> None:
    cfg = KafkaTopicConfig(topic="acme.readings", bootstrap="127.0.0.2:9092")
    with pytest.raises(EgressRefused, match="127.0.0.2"):
        await _sink(FakeProducer(), allow="127.0.0.1/32").deliver(
            a_delivery(), a_destination("kafka", cfg), 1
        )


async def test_sasl_is_misconfigured_when_the_destination_has_no_password() -> None:
    cfg = KafkaTopicConfig(
        topic="acme.readings",
        bootstrap="127.0.0.1:9",
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="writer",
    )
    with pytest.raises(DeliveryFailed) as failed:
        await _sink(FakeProducer(), allow="127.0.0.1/32").deliver(
            a_delivery(), a_destination("kafka", cfg), 1
        )
    assert failed.value.reason == "destination-misconfigured"
    assert "password" in failed.value.detail


async def test_send_times_out_as_retriable_and_names_an_unknown_topic() -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await send_record(FakeProducer(hang=True), "acme.nope", None, b"[]", [], 0.01)
    assert (failed.value.reason, failed.value.retriable) == ("timeout", True)
    assert "does not know topic acme.nope" in failed.value.detail


async def test_stop_is_idempotent_and_leaves_the_platform_producer_alone() -> None:
    sink = _sink(FakeProducer())
    await sink.start()
    await sink.stop()
    await sink.stop()
