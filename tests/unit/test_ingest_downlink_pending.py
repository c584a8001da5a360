"""The ingest's pending downlinks: held while executing, oldest first, one claim at a time,
never expired, never another device's, bounded. Pure, no Kafka."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from senflow.common.downlinks import DownlinkSnapshot
from senflow.common.events import ChangeEvent
from senflow.router.ingest.pending import PendingDownlinks

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
DEVICE = "dev-1"
CUSTOMER = "cust-1"


def event(
    downlink_id: str,
    version: int,
    status: str = "executing",
    *,
    device_id: str = DEVICE,
    customer_id: str = CUSTOMER,
    network_type: str = "INTERNET",
    created_s: float = 0,
    ttl_s: float = 600,
    **fields: Any,
) -> ChangeEvent[DownlinkSnapshot]:
    created = NOW + timedelta(seconds=created_s)
    snapshot = DownlinkSnapshot.model_validate(
        {
            "id": downlink_id,
            "customer_id": customer_id,
            "device_id": device_id,
            "network_type": network_type,
            "identifier": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
            "command": {"senml": [{"n": "interval", "v": 60}]},
            "status": status,
            "created_at": created,
            "expires_at": created + timedelta(seconds=ttl_s),
            "status_changed_at": created,
            **fields,
        }
    )
    return ChangeEvent[DownlinkSnapshot](
        event_id=f"{downlink_id}-{version}",
        event_type="DownlinkChanged",
        entity_type="downlink",
        entity_id=downlink_id,
        entity_version=version,
        customer_id=customer_id,
        occurred_at=created,
        snapshot=snapshot,
    )


@pytest.fixture
def drops() -> list[str]:
    return []


@pytest.fixture
def pending(drops: list[str]) -> PendingDownlinks:
    return PendingDownlinks(max_per_device=3, max_total=10, on_drop=drops.append)


def claim(pending: PendingDownlinks, device_id: str = DEVICE, at: datetime = NOW) -> str | None:
    found = pending.claim(device_id, CUSTOMER, "INTERNET", at)
    return found.id if found else None


def test_device_gets_its_executing_downlinks_oldest_first_one_per_claim(
    pending: PendingDownlinks,
) -> None:
    pending.apply("b", event("b", 2, created_s=5), NOW)
    pending.apply("a", event("a", 2, created_s=1), NOW)

    first = claim(pending)
    pending.handed_out("a")
    second = claim(pending)
    pending.handed_out("b")

    assert (first, second, claim(pending)) == ("a", "b", None)
    assert len(pending) == 0


def test_downlink_is_held_only_while_executing_when_events_move_it_on(
    pending: PendingDownlinks,
) -> None:
    pending.apply("a", event("a", 1, "queued"), NOW)
    assert claim(pending) is None
    pending.apply("a", event("a", 2), NOW)
    assert len(pending) == 1
    pending.apply("a", event("a", 3, "sent"), NOW)  # another replica sent it
    assert (len(pending), claim(pending)) == (0, None)


@pytest.mark.parametrize("status", ["failed", "expired", "sent"])
def test_downlink_is_let_go_when_its_status_leaves_executing(
    pending: PendingDownlinks, status: str
) -> None:
    pending.apply("a", event("a", 2), NOW)
    pending.apply("a", event("a", 3, status), NOW)
    assert claim(pending) is None


def test_stale_or_repeated_event_does_not_bring_a_downlink_back_when_it_was_let_go(
    pending: PendingDownlinks,
) -> None:
    pending.apply("a", event("a", 2), NOW)
    pending.apply("a", event("a", 3, "sent"), NOW)
    pending.apply("a", event("a", 2), NOW)  # the relay published it again
    assert claim(pending) is None


def test_late_copy_of_the_executing_event_does_not_bring_back_one_handed_out(
    pending: PendingDownlinks,
) -> None:
    pending.apply("a", event("a", 2), NOW)
    assert claim(pending) == "a"
    pending.handed_out("a")
    pending.apply("a", event("a", 2), NOW)
    assert claim(pending) is None


def test_tombstone_lets_the_downlink_go_when_its_device_is_deleted(
    pending: PendingDownlinks,
) -> None:
    pending.apply("a", event("a", 2), NOW)
    pending.apply("a", None, NOW)
    assert claim(pending) is None


def test_claimed_downlink_is_not_offered_twice_until_released(pending: PendingDownlinks) -> None:
    pending.apply("a", event("a", 2, created_s=1), NOW)
    pending.apply("b", event("b", 2, created_s=2), NOW)

    assert claim(pending) == "a"
    assert claim(pending) == "b"  # a concurrent uplink gets the next one
    assert claim(pending) is None
    pending.release("a")  # its report was not acknowledged: still pending
    assert claim(pending) == "a"


def test_expired_downlink_is_never_claimed_and_is_let_go(
    pending: PendingDownlinks, drops: list[str]
) -> None:
    pending.apply("a", event("a", 2, ttl_s=60), NOW)
    pending.apply("b", event("b", 2, created_s=1, ttl_s=600), NOW)

    assert claim(pending, at=NOW + timedelta(seconds=60)) == "b"
    assert drops == ["expired"]
    assert len(pending) == 1


def test_a_devices_expired_downlinks_are_let_go_and_counted_when_another_arrives(
    pending: PendingDownlinks, drops: list[str]
) -> None:
    pending.apply("a", event("a", 2, ttl_s=60), NOW)
    pending.apply("b", event("b", 2, created_s=1), NOW + timedelta(seconds=60))
    assert (len(pending), drops) == (1, ["expired"])
    assert claim(pending, at=NOW + timedelta(seconds=60)) == "b"


def test_downlink_already_expired_when_it_arrives_is_not_held(
    pending: PendingDownlinks, drops: list[str]
) -> None:
    pending.apply("a", event("a", 2, ttl_s=10), NOW + timedelta(seconds=10))
    assert (len(pending), drops) == (0, [])


def test_another_devices_or_customers_downlink_is_never_claimed(
    pending: PendingDownlinks,
) -> None:
    pending.apply("other-device", event("other-device", 2, device_id="dev-2"), NOW)
    pending.apply(
        "other-customer", event("other-customer", 2, customer_id="cust-2"), NOW
    )  # the same device id under another customer cannot be this device
    assert claim(pending) is None
    assert pending.claim("dev-2", CUSTOMER, "INTERNET", NOW) is not None


def test_downlink_of_one_network_is_not_claimed_on_another_when_the_device_has_both(
    pending: PendingDownlinks,
) -> None:
    pending.apply("m2m", event("m2m", 2, network_type="M2M"), NOW)
    assert claim(pending) is None
    assert pending.claim(DEVICE, CUSTOMER, "M2M", NOW) is not None


@pytest.mark.parametrize("network_type", ["MQTT", "KPNLORA"])
def test_downlinks_of_other_networks_are_not_held(
    pending: PendingDownlinks, network_type: str
) -> None:
    fields: dict[str, Any] = {"payload_hex": "0164", "f_port": 1}
    pending.apply("a", event("a", 2, network_type=network_type, **fields), NOW)
    assert len(pending) == 0


def test_device_holds_at_most_its_bound_and_the_rest_is_dropped_when_over(
    pending: PendingDownlinks, drops: list[str]
) -> None:
    for n in range(5):
        pending.apply(f"d{n}", event(f"d{n}", 2, created_s=n), NOW)
    assert len(pending) == 3
    assert drops == ["device-full", "device-full"]
    assert claim(pending) == "d0"  # the oldest are kept, in order


def test_ingest_holds_at_most_its_total_and_makes_room_from_expired_when_full(
    drops: list[str],
) -> None:
    pending = PendingDownlinks(max_per_device=5, max_total=2, on_drop=drops.append)
    pending.apply("a", event("a", 2, device_id="d1", ttl_s=30), NOW)
    pending.apply("b", event("b", 2, device_id="d2"), NOW)
    pending.apply("c", event("c", 2, device_id="d3"), NOW)
    assert drops == ["ingest-full"]

    later = NOW + timedelta(seconds=30)  # "a" expired: room for another
    pending.apply("d", event("d", 2, device_id="d4"), later)
    assert len(pending) == 2
    assert drops == ["ingest-full", "expired"]  # the room made is counted as expired
    assert pending.claim("d4", CUSTOMER, "INTERNET", later) is not None


def test_encoded_downlink_without_its_bytes_is_dropped_as_unusable(
    pending: PendingDownlinks, drops: list[str]
) -> None:
    pending.apply("a", event("a", 2, encoder_id="thingsml-encoder"), NOW)
    assert (len(pending), drops) == (0, ["unusable"])
