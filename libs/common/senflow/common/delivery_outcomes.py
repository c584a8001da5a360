"""What became of each delivery attempt, as the dispatcher saw it: one event per outcome."""

from typing import Annotated, Literal, TypeAlias

from pydantic import AwareDatetime, Field

from senflow.common.contract import Contract

DELIVERY_OUTCOME_SCHEMA_VERSION = 1
MAX_DETAIL = 500

OutcomeKind: TypeAlias = Literal["delivered", "failed-attempt", "dead-lettered"]


class DeliveryOutcome(Contract):
    """On `senflow.deliveries.outcomes.v1`, key = destination id (kept 7 days).

    A delivery makes zero or more `failed-attempt` events, then one `delivered` or one
    `dead-lettered` (again after a crash: outcomes are at least once, like deliveries).
    Published without waiting for Kafka: an event Kafka refuses is counted and logged,
    and the delivery goes on, so the stream is for insight, not for accounting.
    """

    schema_version: int = DELIVERY_OUTCOME_SCHEMA_VERSION
    message_id: str
    delivery_id: str
    destination_id: str
    destination_type: Annotated[
        str | None, Field(description="https, kafka, mqtt, test; null: the destination is unknown")
    ] = None
    customer_id: str
    device_id: str
    outcome: OutcomeKind
    attempt: Annotated[
        int,
        Field(
            ge=0,
            description="delivered, failed-attempt: that attempt's number; dead-lettered: the"
            " attempts its dead letter counts (a refusal before any request counts as one)",
        ),
    ]
    status_code: Annotated[
        int | None, Field(description="The receiver's status, if it answered")
    ] = None
    reason: Annotated[
        str | None, Field(description="The failure's code (the dead-letter reason); null if none")
    ] = None
    detail: Annotated[
        str | None, Field(max_length=MAX_DETAIL, description="What happened, for a failure")
    ] = None
    latency_ms: Annotated[float, Field(description="From the uplink's receive time to `at`")]
    at: AwareDatetime
