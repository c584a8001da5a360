"""Bodies of a destination's dead letters and their replay."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, ConfigDict, Field

from senflow.registry.entrypoints.api.schemas.common import Body, Out

Since = Annotated[
    AwareDatetime | None, Field(description="Dead-lettered at or after (with a time zone)")
]
Until = Annotated[
    AwareDatetime | None, Field(description="Dead-lettered before (with a time zone)")
]
Reason = Annotated[
    str | None,
    Field(max_length=100, description="Only this reason, e.g. http-status", examples=["timeout"]),
]


class DeadLetterOut(Out):
    id: Annotated[
        str,
        Field(
            description="The entry: <partition>-<offset> on senflow.deliveries.deadletter.v1",
            examples=["3-1742"],
        ),
    ]
    message_id: Annotated[
        str | None, Field(description="The uplink's id, the same at every destination")
    ]
    delivery_id: Annotated[
        str | None,
        Field(description="This pack for this destination; a replay keeps it (deduplicate on it)"),
    ]
    device_id: Annotated[str | None, Field(description="The device the uplink came from")]
    flow_id: Annotated[str | None, Field(description="The flow that made the delivery")]
    reason: Annotated[
        str,
        Field(
            description="Why it was parked: http-status, timeout, connection-failed, …",
            examples=["http-status"],
        ),
    ]
    detail: Annotated[str | None, Field(description="What the dispatcher saw, in words")]
    status_code: Annotated[
        int | None, Field(description="The receiver's last HTTP status, if it answered")
    ]
    attempts: Annotated[int | None, Field(description="Delivery attempts made before parking")]
    response_excerpt: Annotated[
        str | None, Field(description="The first KiB of the receiver's last answer")
    ]
    dead_lettered_at: Annotated[datetime, Field(description="When it was parked")]
    replay_of: Annotated[
        str | None,
        Field(description="The entry this one failed as a replay of; null for a first failure"),
    ]
    replayed_at: Annotated[
        datetime | None, Field(description="When it was last replayed; null if never")
    ]
    replayed_by: Annotated[
        str | None, Field(description='Who replayed it last: a customer id, or "admin"')
    ]


class DeadLetterDetailOut(DeadLetterOut):
    body: Annotated[
        list[dict[str, Any]] | None,
        Field(
            description="The delivery's SenML pack; null when the record was no valid delivery",
            examples=[[{"bn": "urn:dev:DEVEUI:0123456789ABCDEF:", "n": "payload", "vs": "01A2"}]],
        ),
    ]


class DeadLettersOut(Out):
    items: Annotated[
        list[DeadLetterOut],
        Field(description="The matching dead letters, newest first, at most `limit`"),
    ]
    total: Annotated[int, Field(description="How many match, `limit` aside")]


class DeadLetterReplayIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"since": "2026-11-25T00:00:00Z", "until": "2026-11-26T00:00:00Z"},
                {"reason": "http-status", "include_replayed": True},
                {},
            ]
        }
    )

    since: Since = None
    until: Until = None
    reason: Reason = None
    include_replayed: Annotated[
        bool, Field(description="Also those replayed before (default: only never replayed)")
    ] = False


class ReplayedOut(Out):
    replayed: Annotated[
        int, Field(description="Deliveries published again; the dispatcher takes them from there")
    ]
