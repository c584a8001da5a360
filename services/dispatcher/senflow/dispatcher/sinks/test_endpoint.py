"""The platform-hosted test endpoint: each delivery is kept as a `TestMessage` on
`senflow.destinations.test-messages.v1` (key = destination id), which the registry API
shows. Headers and body are what an HTTPS receiver would get; when the destination has a
secret, the message is signed with it too, so a customer can try out their checks."""

from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from senflow.common import headers as h
from senflow.common import topics
from senflow.common.deliveries import Delivery
from senflow.common.events import DestinationSnapshot, TestEndpointConfig
from senflow.common.secrets import open_sealed
from senflow.common.serde import dumps
from senflow.common.test_messages import TestMessage
from senflow.dispatcher.errors import DeliveryFailed
from senflow.dispatcher.sinks.kafka_send import send_record
from senflow.dispatcher.sinks.payload import Bodies, Body, body_of, https_headers


def as_test_message(
    delivery: Delivery,
    destination: DestinationSnapshot,
    secret: str | None,
    attempt: int,
    now: datetime,
    body: Body | None = None,
) -> TestMessage:
    """`body`: what the destination is sent (the SenML JSON when None)."""
    body = body or Body(body_of(delivery))
    return TestMessage(
        destination_id=destination.id,
        customer_id=destination.customer_id,
        message_id=delivery.message_id,
        delivery_id=delivery.delivery_id,
        received_at=now,
        headers=https_headers(
            delivery, destination.id, body.data, secret, attempt, now.timestamp(), body.content_type
        ),
        body=body.data.decode(),
    )


class TestEndpointSink:
    __test__ = False  # not a pytest class, whatever its name says

    def __init__(
        self,
        producer: AIOKafkaProducer,
        secrets_key: bytes,
        timeout_s: float,
        bodies: Bodies | None = None,
    ) -> None:
        self._producer = producer  # the dispatcher's own (acks=all); started by its owner
        self._key = secrets_key
        self._timeout_s = timeout_s
        self._bodies = bodies or Bodies()

    async def deliver(
        self, delivery: Delivery, destination: DestinationSnapshot, attempt: int
    ) -> None:
        if not isinstance(destination.config, TestEndpointConfig):
            raise DeliveryFailed("destination-misconfigured", destination.id, retriable=False)
        secret = None
        if destination.sealed_secret is not None:
            secret = open_sealed(self._key, destination.sealed_secret, bound_to=destination.id)
        body = await self._bodies.of(delivery, destination)
        message = as_test_message(delivery, destination, secret, attempt, datetime.now(UTC), body)
        await send_record(
            self._producer,
            topics.TEST_MESSAGES,
            destination.id.encode(),
            dumps(message),
            h.encode_headers(
                {
                    h.MESSAGE_ID: delivery.message_id,
                    h.DELIVERY_ID: delivery.delivery_id,
                    h.CUSTOMER_ID: destination.customer_id,
                    h.DESTINATION_ID: destination.id,
                }
            ),
            self._timeout_s,
        )
