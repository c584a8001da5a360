"""The use cases that move downlinks without an API call, on an in-memory `downlinks`
table (the SQL of `downlink_rows` stands in) and outbox: a late `executing` report still
records the bytes of a downlink the network sent before it was read, with an event and
without changing its status; a worker's late `failed` never undoes `sent`; the downlinks
not sent yet of a device whose identity goes away fail, with their events."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from senflow.common.contract import Contract
from senflow.common.events import ChangeEvent
from senflow.registry.adapters import downlink_rows, outbox
from senflow.registry.domain.downlink_status import (
    NOT_ALLOWED,
    StatusChange,
    identity_changed_reason,
)
from senflow.registry.use_cases import downlinks as downlink_use_cases
from senflow.registry.use_cases.downlink_updates import DownlinkUpdates

AT = datetime(2026, 11, 25, 10, 32, 30, tzinfo=UTC)
CUSTOMER = "3f6c1e2a-8b4d-4c7e-9a15-2d8f0b6e4c31"
DEVICE = "5d0c9a8b-7e6f-4a3b-9c2d-1e0f9a8b7c6d"


def downlink(status: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "customer_id": uuid.UUID(CUSTOMER),
        "device_id": uuid.UUID(DEVICE),
        "network_type": "KPNLORA",
        "identifier": "0123456789ABCDEF",
        "flow_id": None,
        "encoder_id": None,
        "command": '{"payload_hex": "0164", "f_port": 10}',
        "confirmed": False,
        "status": status,
        "reason": None,
        "source": "api",
        "destination_id": None,
        "payload_hex": None,
        "f_port": None,
        "version": 2,
        "created_at": AT,
        "expires_at": AT + timedelta(hours=1),
        "status_changed_at": AT,
        "executing_at": None,
        "sent_at": AT if status == "sent" else None,
        "finished_at": None,
        **fields,
    }


class Table:
    """The downlinks rows and the outbox's events, as the SQL would leave them."""

    def __init__(self, *rows: dict[str, Any]) -> None:
        self.rows = {str(r["id"]): r for r in rows}
        self.events: list[ChangeEvent[Contract]] = []

    async def read(self, _conn: Any, downlink_id: str, *_: Any, **__: Any) -> Any:
        return self.rows.get(downlink_id)

    async def move(self, _conn: Any, downlink_id: str, change: StatusChange) -> Any:
        row = self.rows[downlink_id]
        row.update(status=change.status, reason=change.reason or row["reason"])
        row["version"] += 1
        return row

    async def record_bytes(self, _conn: Any, downlink_id: str, change: StatusChange) -> Any:
        row = self.rows[downlink_id]
        executing_at = min(change.at or AT, row["sent_at"])
        row.update(payload_hex=change.payload_hex, f_port=change.f_port, executing_at=executing_at)
        row["version"] += 1
        return row

    async def unfinished(
        self, _conn: Any, device_id: str, network_type: str | None, except_identifier: str | None
    ) -> list[str]:
        return [
            key
            for key, r in self.rows.items()
            if str(r["device_id"]) == device_id
            and r["status"] in ("queued", "executing")
            and network_type in (None, r["network_type"])
            and r["identifier"] != except_identifier
        ]

    async def append(self, _conn: Any, event: ChangeEvent[Contract]) -> None:
        self.events.append(event)


class FakePool:
    @asynccontextmanager
    async def acquire(self) -> AsyncIterator["FakePool"]:
        yield self

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        yield


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Table:
    fake = Table()
    for name in ("read", "move", "record_bytes", "unfinished"):
        monkeypatch.setattr(downlink_rows, name, getattr(fake, name))
    monkeypatch.setattr(outbox, "append", fake.append)
    return fake


def updates() -> DownlinkUpdates:
    return DownlinkUpdates(FakePool(), b"k" * 32)  # type: ignore[arg-type]


async def test_a_late_executing_report_records_the_bytes_of_a_downlink_already_sent(
    table: Table,
) -> None:
    sent = downlink("sent")
    table.rows[str(sent["id"])] = sent
    encoded_at = AT - timedelta(seconds=1)
    change = StatusChange(
        str(sent["id"]), "executing", payload_hex="0164", f_port=10, at=encoded_at
    )

    outcome = await updates().apply(change)

    assert outcome.ignored is None
    assert (sent["status"], sent["payload_hex"], sent["f_port"]) == ("sent", "0164", 10)
    assert sent["executing_at"] == encoded_at and sent["version"] == 3
    [event] = table.events
    assert (event.event_type, event.entity_version) == ("DownlinkEncoded", 3)
    assert event.snapshot is not None and event.snapshot.model_dump()["payload_hex"] == "0164"

    again = await updates().apply(change)  # the bytes are there now: nothing more
    assert again.ignored == NOT_ALLOWED and len(table.events) == 1


@pytest.mark.parametrize("status", ["cancelled", "expired"])
async def test_a_late_executing_report_records_nothing_for_a_downlink_never_sent(
    table: Table, status: str
) -> None:
    never_sent = downlink(status)
    table.rows[str(never_sent["id"])] = never_sent
    change = StatusChange(str(never_sent["id"]), "executing", payload_hex="0164", f_port=10)
    assert (await updates().apply(change)).ignored == NOT_ALLOWED
    assert never_sent["payload_hex"] is None and table.events == []


async def test_a_workers_late_failed_report_never_undoes_sent(table: Table) -> None:
    sent = downlink("sent", payload_hex="0164", f_port=10)
    table.rows[str(sent["id"])] = sent
    change = StatusChange(str(sent["id"]), "failed", reason="script-error: changed meanwhile")
    assert (await updates().apply(change)).ignored == NOT_ALLOWED
    assert sent["status"] == "sent" and table.events == []


async def test_the_unsent_downlinks_to_a_replaced_identity_fail_with_their_events(
    table: Table,
) -> None:
    old = [downlink("queued"), downlink("executing", payload_hex="01", f_port=1)]
    done = downlink("sent")
    current = downlink("queued", identifier="FEDCBA9876543210")  # the new identity's
    other_network = downlink("queued", network_type="MQTT", identifier="meter-1")
    for r in (*old, done, current, other_network):
        table.rows[str(r["id"])] = r
    reason = identity_changed_reason("KPNLORA")

    failed = await downlink_use_cases.fail_unfinished(
        None, DEVICE, reason, "KPNLORA", except_identifier="FEDCBA9876543210"
    )

    assert failed == 2
    assert [(r["status"], r["reason"]) for r in old] == [("failed", reason)] * 2
    assert (done["status"], current["status"], other_network["status"]) == (
        "sent",
        "queued",
        "queued",
    )
    assert [e.event_type for e in table.events] == ["DownlinkFailed", "DownlinkFailed"]
    assert reason == "the device's KPNLORA identity changed"
