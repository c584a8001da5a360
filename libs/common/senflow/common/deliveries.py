"""One delivery = one SenML pack for one destination, produced by the router."""

import uuid

from pydantic import AwareDatetime

from senflow.common.contract import Contract
from senflow.common.senml import SenmlRecord

DELIVERY_SCHEMA_VERSION = 1


class DecoderRef(Contract):
    id: str
    version: int


class Delivery(Contract):
    """On `senflow.deliveries.v1`, key = device id.

    `message_id` is the uplink's id and stays the same from ingest to the destination.
    `delivery_id` names this one pack for this one destination (an uplink of a device in two
    flows, or through two decoders, makes several): receivers deduplicate on it.
    """

    schema_version: int = DELIVERY_SCHEMA_VERSION
    message_id: str
    delivery_id: str
    customer_id: str
    device_id: str
    flow_id: str
    destination_id: str
    decoder: DecoderRef
    senml: tuple[SenmlRecord, ...]
    received_at: AwareDatetime


_DELIVERY_NS = uuid.UUID("2b0f3c55-0c5e-4b8e-9a51-3f6f1f3b9d27")


def delivery_id_of(message_id: str, flow_id: str, destination_id: str, decoder: DecoderRef) -> str:
    """Stable across reprocessing: the same uplink, flow, destination and decoder always
    give the same id."""
    name = f"{message_id}:{flow_id}:{destination_id}:{decoder.id}@{decoder.version}"
    return str(uuid.uuid5(_DELIVERY_NS, name))
