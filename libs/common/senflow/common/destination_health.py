"""A destination's health as a dispatcher worker sees it, published when it changes."""

from typing import Annotated, Literal, TypeAlias

from pydantic import AwareDatetime, Field

from senflow.common.contract import Contract

DESTINATION_HEALTH_SCHEMA_VERSION = 1
MAX_LAST_ERROR = 500

HealthState: TypeAlias = Literal["healthy", "degraded", "failing", "disabled"]


class DestinationHealth(Contract):
    """On `senflow.destinations.health.v1` (compacted), key = destination id.

    From the outcomes of a worker's latest attempts (see the dispatcher's `HealthTracker`):
    `degraded` when some failed, `failing` when most did, `disabled` when it kept failing
    (the dispatcher then parks its deliveries and only probes it; not the customer's own
    `enabled`). The latest record per destination wins, whichever worker sent it.
    """

    schema_version: int = DESTINATION_HEALTH_SCHEMA_VERSION
    destination_id: str
    customer_id: str
    state: HealthState
    failed_attempts: Annotated[int, Field(ge=0, description="Failed attempts in the window")]
    attempts: Annotated[int, Field(ge=0, description="Attempts in the window")]
    last_error: Annotated[
        str | None,
        Field(max_length=MAX_LAST_ERROR, description="Why the latest failed attempt failed"),
    ] = None
    last_status_code: Annotated[
        int | None, Field(description="The latest failed attempt's response status, if any")
    ] = None
    changed_at: AwareDatetime
    reporter: Annotated[str, Field(description="The dispatcher worker: host:pid")]
