"""A replay of a dead-lettered delivery, as the registry API records it."""

from typing import Annotated

from pydantic import AwareDatetime, Field

from senflow.common.contract import Contract

DEAD_LETTER_REPLAYED_SCHEMA_VERSION = 1
REPLAYED_BY_ADMIN = "admin"


class DeadLetterReplayed(Contract):
    """On `senflow.deliveries.replays.v1` (compacted), key = entry id.

    The entry is the dead letter `<partition>-<offset>` on
    `senflow.deliveries.deadletter.v1`; its delivery was published again to
    `senflow.deliveries.v1`, keeping its delivery id. The latest replay per entry wins.
    """

    schema_version: int = DEAD_LETTER_REPLAYED_SCHEMA_VERSION
    entry_id: Annotated[str, Field(pattern=r"^\d+-\d+$")]
    destination_id: str
    replayed_at: AwareDatetime
    replayed_by: Annotated[str, Field(description='The customer id, or "admin"')]
