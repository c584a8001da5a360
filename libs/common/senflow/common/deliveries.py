"""One delivery = one SenML pack for one destination, produced by the router."""

from pydantic import AwareDatetime

from senflow.common.contract import Contract
from senflow.common.senml import SenmlRecord

DELIVERY_SCHEMA_VERSION = 1


class DecoderRef(Contract):
    id: str
    version: int


class Delivery(Contract):
    """On `senflow.deliveries.v1`, key = device id.

    `message_id` is the uplink's id and stays the same from ingest to the destination;
    together with `destination_id` it identifies the delivery, so receivers can deduplicate.
    """

    schema_version: int = DELIVERY_SCHEMA_VERSION
    message_id: str
    customer_id: str
    device_id: str
    flow_id: str
    destination_id: str
    decoder: DecoderRef
    senml: tuple[SenmlRecord, ...]
    received_at: AwareDatetime
