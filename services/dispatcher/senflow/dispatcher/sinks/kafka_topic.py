"""Kafka topic destinations: each delivery as one record on the customer's topic.

- value: the SenML pack as compact JSON (or what the destination's format script makes of
  it), the very bytes an HTTPS receiver gets;
- key: the destination's `key_template` rendered (`{device_id}` by default, so one
  device's records keep their order); an empty template means no key;
- headers: `senflow-message-id`, `senflow-delivery-id` (deduplicate on it),
  `senflow-device-id`, `senflow-flow-id`, `senflow-destination-id`, `senflow-decoder`.

On the platform's cluster (no `bootstrap`) records go through the dispatcher's own
producer (acks=all, idempotent). An external cluster gets a producer of its own per
distinct bootstrap and credentials, started at its first delivery and kept until
`stop()`; its bootstrap hosts, and then the brokers it advertises, must pass the egress
policy. No destination may write to a platform topic (`senflow.*`) on any cluster: an
"external" bootstrap may well name the platform's own brokers.
"""

import asyncio
import ssl
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from senflow.common import headers as h
from senflow.common import topics
from senflow.common.deliveries import Delivery
from senflow.common.events import DestinationSnapshot, KafkaTopicConfig
from senflow.common.key_templates import key_template_error
from senflow.common.secrets import open_sealed
from senflow.dispatcher.egress import EgressPolicy
from senflow.dispatcher.errors import DeliveryFailed, EgressRefused
from senflow.dispatcher.sinks.kafka_send import kafka_failure, send_record
from senflow.dispatcher.sinks.payload import Bodies

DEFAULT_KAFKA_PORT = 9092


def misconfigured(detail: str) -> DeliveryFailed:
    return DeliveryFailed("destination-misconfigured", detail, retriable=False)


def record_key(template: str, delivery: Delivery) -> bytes | None:
    if (problem := key_template_error(template)) is not None:
        raise misconfigured(f"key_template {problem}")
    if not template:
        return None
    values = {
        "device_id": delivery.device_id,
        "flow_id": delivery.flow_id,
        "customer_id": delivery.customer_id,
        "destination_id": delivery.destination_id,
    }
    return template.format_map(values).encode()


def record_headers(delivery: Delivery) -> h.KafkaHeaders:
    return h.encode_headers(
        {
            h.MESSAGE_ID: delivery.message_id,
            h.DELIVERY_ID: delivery.delivery_id,
            h.DEVICE_ID: delivery.device_id,
            h.FLOW_ID: delivery.flow_id,
            h.DESTINATION_ID: delivery.destination_id,
            h.DECODER: f"{delivery.decoder.id}@{delivery.decoder.version}",
        }
    )


def bootstrap_hosts(bootstrap: str) -> list[tuple[str, int]]:
    """`host:port,[v6]:port,host` as the client reads it (port 9092 when absent)."""
    hosts = []
    for part in filter(None, (p.strip() for p in bootstrap.split(","))):
        if part.startswith("["):
            host, _, rest = part[1:].partition("]")
            port = rest.removeprefix(":")
        elif part.count(":") == 1:
            host, _, port = part.partition(":")
        else:  # a bare name, or a bare IPv6 address
            host, port = part, ""
        if port and not port.isdigit():
            raise misconfigured(f"bootstrap {part!r} is not host:port")
        hosts.append((host, int(port) if port else DEFAULT_KAFKA_PORT))
    if not hosts:
        raise misconfigured("bootstrap names no host")
    return hosts


@dataclass(frozen=True)
class ClusterLogin:
    """What makes two external destinations share a producer."""

    bootstrap: str
    security_protocol: str
    sasl_mechanism: str | None
    sasl_username: str | None
    password: str | None = field(repr=False)


@dataclass
class _Cluster:
    producer: AIOKafkaProducer
    checked_brokers: set[tuple[str, int]] = field(default_factory=set)


class KafkaTopicSink:
    def __init__(
        self,
        platform_producer: AIOKafkaProducer,
        secrets_key: bytes,
        egress: EgressPolicy,
        timeout_s: float,
        bodies: Bodies | None = None,
    ) -> None:
        self._platform = platform_producer  # started and stopped by its owner
        self._bodies = bodies or Bodies()
        self._key = secrets_key
        self._egress = egress
        self._timeout_s = timeout_s
        self._clusters: dict[ClusterLogin, _Cluster] = {}
        self._connecting: dict[ClusterLogin, asyncio.Lock] = {}

    async def start(self) -> None:
        """Nothing to connect up front: an external cluster is reached at first use."""

    async def stop(self) -> None:
        """Close every external producer (flushing what they hold); idempotent."""
        clusters, self._clusters = self._clusters, {}
        for cluster in clusters.values():
            await cluster.producer.stop()

    async def deliver(
        self, delivery: Delivery, destination: DestinationSnapshot, attempt: int
    ) -> None:
        cfg = destination.config
        if not isinstance(cfg, KafkaTopicConfig):
            raise misconfigured(destination.id)
        if topics.is_reserved(cfg.topic):
            raise misconfigured(f"{cfg.topic} is a platform topic")
        key = record_key(cfg.key_template, delivery)
        body = await self._bodies.of(delivery, destination)
        producer = self._platform
        if cfg.bootstrap is not None:
            producer = await self._external(self._login(cfg, cfg.bootstrap, destination))
        await send_record(
            producer, cfg.topic, key, body.data, record_headers(delivery), self._timeout_s
        )

    def _login(
        self, cfg: KafkaTopicConfig, bootstrap: str, destination: DestinationSnapshot
    ) -> ClusterLogin:
        password = None
        if cfg.security_protocol.startswith("SASL_"):
            if cfg.sasl_mechanism is None or cfg.sasl_username is None:
                raise misconfigured("SASL needs sasl_mechanism and sasl_username")
            if destination.sealed_secret is None:
                raise misconfigured("SASL needs the password (the destination's secret)")
            password = open_sealed(self._key, destination.sealed_secret, bound_to=destination.id)
        return ClusterLogin(
            bootstrap, cfg.security_protocol, cfg.sasl_mechanism, cfg.sasl_username, password
        )

    async def _external(self, login: ClusterLogin) -> AIOKafkaProducer:
        cluster = self._clusters.get(login)
        if cluster is None:
            async with self._connecting.setdefault(login, asyncio.Lock()):
                cluster = self._clusters.get(login)
                if cluster is None:
                    cluster = _Cluster(await self._connect(login))
                    self._clusters[login] = cluster
        try:
            await self._check_brokers(cluster)
        except EgressRefused:
            if self._clusters.get(login) is cluster:  # nothing more may reach it
                del self._clusters[login]
                await cluster.producer.stop()
            raise
        return cluster.producer

    async def _connect(self, login: ClusterLogin) -> AIOKafkaProducer:
        for host, port in bootstrap_hosts(login.bootstrap):
            await self._egress.check(host, port)
        producer = AIOKafkaProducer(
            bootstrap_servers=login.bootstrap,
            client_id="senflow-dispatcher",
            acks="all",
            enable_idempotence=True,
            request_timeout_ms=int(self._timeout_s * 1000),
            security_protocol=login.security_protocol,
            # The system CAs, host names checked.
            ssl_context=ssl.create_default_context() if "SSL" in login.security_protocol else None,
            sasl_mechanism=login.sasl_mechanism or "PLAIN",
            sasl_plain_username=login.sasl_username,
            sasl_plain_password=login.password,
        )
        try:
            # Bounded: an idempotent producer's start waits for a producer id from the
            # brokers the cluster advertises, forever if none of them can be reached.
            async with asyncio.timeout(self._timeout_s):
                await producer.start()
        except KafkaError as err:
            await producer.stop()
            # aiokafka reports any failed bootstrap (refused login included) as a
            # connection error, so a wrong password is retried like an outage.
            raise kafka_failure(err) from err
        except TimeoutError as err:
            await producer.stop()
            detail = f"the cluster did not answer within {self._timeout_s}s"
            raise DeliveryFailed("kafka-unavailable", detail, retriable=True) from err
        except OSError as err:
            await producer.stop()
            raise DeliveryFailed("kafka-unavailable", str(err), retriable=True) from err
        return producer

    async def _check_brokers(self, cluster: _Cluster) -> None:
        """The brokers a cluster advertises are where the producer connects next, and
        they may be internal addresses its bootstrap name does not resolve to. Checked
        once per address as metadata reveals them. Best effort: aiokafka resolves and
        connects by itself, so its first requests after the bootstrap (and a name that
        changes its answer later) are not covered the way HTTPS connections are."""
        for broker in cluster.producer.client.cluster.brokers():
            address = (str(broker.host), int(broker.port))
            if address not in cluster.checked_brokers:
                await self._egress.check(*address)
                cluster.checked_brokers.add(address)
