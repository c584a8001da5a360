"""The transactional outbox: a change event is stored in the transaction of its change."""

import json

from senflow.common import headers as h
from senflow.common.contract import Contract
from senflow.common.events import ChangeEvent
from senflow.common.serde import dumps
from senflow.common.topics import ENTITY_TOPICS
from senflow.registry.adapters.db import Conn


async def append(conn: Conn, event: ChangeEvent[Contract]) -> None:
    """Store `event` for the relay. Must run inside the transaction that made the change.

    A deletion (no snapshot) becomes a tombstone; its envelope travels in the headers so
    that consumers still learn the event id, type and version.
    """
    hdrs = {
        h.EVENT_ID: event.event_id,
        h.EVENT_TYPE: event.event_type,
        h.ENTITY_VERSION: str(event.entity_version),
        h.SCHEMA_VERSION: str(event.schema_version),
    }
    if event.customer_id is not None:
        hdrs[h.CUSTOMER_ID] = event.customer_id
    value = dumps(event) if event.snapshot is not None else None
    await conn.execute(
        "INSERT INTO outbox (topic, key, value, headers) VALUES ($1, $2, $3, $4::jsonb)",
        ENTITY_TOPICS[event.entity_type],
        event.entity_id,
        value,
        json.dumps(hdrs),
    )
