"""Deliveries and destinations as the dispatcher's sinks get them, for unit tests."""

from datetime import UTC, datetime

from senflow.common.deliveries import DecoderRef, Delivery
from senflow.common.events import DestinationConfig, DestinationSnapshot, DestinationType
from senflow.common.secrets import generate_key, parse_key, seal
from senflow.common.senml import SenmlRecord

SECRETS_KEY = parse_key(generate_key())
CUSTOMER_ID = "3f6c1e2a-8b4d-4c7e-9a15-2d8f0b6e4c31"
DESTINATION_ID = "e1d2c3b4-a5f6-4e7d-8c9b-0a1f2e3d4c5b"


def a_delivery(message_id: str = "m-1", destination_id: str = DESTINATION_ID) -> Delivery:
    return Delivery(
        message_id=message_id,
        delivery_id=f"{message_id}-to-{destination_id}",
        customer_id=CUSTOMER_ID,
        device_id="dev-1",
        flow_id="flow-1",
        destination_id=destination_id,
        decoder=DecoderRef(id="lora-raw", version=2),
        senml=(
            SenmlRecord(
                bn="urn:dev:DEVEUI:0123456789ABCDEF:", bt=1795645163.21, n="payload", vs="01A2"
            ),
            SenmlRecord(n="port", v=2),
        ),
        received_at=datetime(2026, 11, 25, 10, 32, 43, 210000, tzinfo=UTC),
    )


def a_destination(
    kind: DestinationType,
    config: DestinationConfig,
    secret: str | None = None,
    destination_id: str = DESTINATION_ID,
) -> DestinationSnapshot:
    return DestinationSnapshot(
        id=destination_id,
        customer_id=CUSTOMER_ID,
        name="d",
        type=kind,
        config=config,
        sealed_secret=seal(SECRETS_KEY, secret, bound_to=destination_id) if secret else None,
    )
