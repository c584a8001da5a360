"""How a destination is doing, as the dispatchers report it (never stored)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from senflow.registry.entrypoints.api.schemas.common import Out


class DestinationHealthOut(Out):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "state": "disabled",
                    "attempts": 50,
                    "failed_attempts": 50,
                    "last_error": "http-status: answered 503",
                    "last_status_code": 503,
                    "changed_at": "2026-11-25T10:37:31Z",
                },
                {
                    "state": "unknown",
                    "attempts": None,
                    "failed_attempts": None,
                    "last_error": None,
                    "last_status_code": None,
                    "changed_at": None,
                },
            ]
        }
    )

    state: Annotated[
        Literal["healthy", "degraded", "failing", "disabled", "unknown"],
        Field(
            description="Of its last 50 attempts on a dispatcher: degraded when ≥ 20 % failed or"
            " a delivery was dead-lettered in the last minute; failing when ≥ 80 % (and ≥ 10)"
            " failed; disabled when failing for 5 minutes: deliveries are then dead-lettered"
            " (destination-auto-disabled, replayable) but for a probe every 30 s, whose success"
            " makes it degraded again; healthy after 20 successes in a row; unknown: no"
            " dispatcher reported on it yet. Apart from `enabled`, which is yours to set"
        ),
    ]
    attempts: Annotated[
        int | None, Field(description="Attempts in the window, at most 50; null when unknown")
    ]
    failed_attempts: Annotated[
        int | None, Field(description="Failed attempts among `attempts`; null when unknown")
    ]
    last_error: Annotated[
        str | None,
        Field(description="Why the latest failed attempt failed (reason: detail); null if none"),
    ]
    last_status_code: Annotated[
        int | None,
        Field(description="The status your endpoint answered the latest failed attempt, if any"),
    ]
    changed_at: Annotated[
        datetime | None, Field(description="When the state last changed; null when unknown")
    ]
