"""The registry's part of downlinks on the real services: the API queues, lists, reads
and cancels them, each change is an event on `senflow.downlinks.v1`; workers' reports and
the LoRa network server's results move them on (a repeated or out-of-order one changes
nothing); one not sent in time expires; a destination's request makes one downlink, once;
those not sent yet fail when their device's identity changes or goes, or the device is
deactivated. An oversized command is refused, and an oversized change event never stalls
the outbox: it is parked.

The router's downlink executor runs in this platform too and may move a queued downlink
to executing (or failed) by itself. So these tests use devices in no flow (no encoder:
the command is sent as is, which the executor cannot fail), assert only what the
registry decides, and accept `executing` where the router may have been first.
"""

import contextlib
import json
import re
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from senflow.common import topics
from senflow.common.downlinks import (
    DownlinkCommand,
    DownlinkReport,
    DownlinkRequest,
    LoraDownlinkResult,
)
from senflow.common.serde import dumps
from tests.support.api import (
    Api,
    create_customer,
    new_destination_secret,
    new_dev_eui,
    register_lora_device,
    wait_downlink_status,
)
from tests.support.kafka import TopicReader, header, wait_group_caught_up
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e

SETPOINT = {"senml": [{"n": "setpoint", "u": "Cel", "v": 21.5}]}
DEFAULT_GROUP = "senflow-registry-downlinks"


async def register_internet_device(api: Api) -> str:
    body = {
        "name": "gateway",
        "specification_id": "generic-internet",
        "network_info": {
            "INTERNET": {"dvn_uuid": str(uuid.uuid4()), "shared_secret": secrets.token_hex(20)}
        },
    }
    return str((await api.ok("POST", "/devices", body))["id"])


async def registry_caught_up(platform: Platform, *names: str) -> None:
    """Wait until the registry's downlink consumer has applied all `names` hold now."""
    group = platform.env.get("REGISTRY_DOWNLINK_GROUP_ID", DEFAULT_GROUP)
    for name in names:
        await wait_group_caught_up(platform.kafka_bootstrap, group, name)


async def publish(producer: AIOKafkaProducer, topic: str, key: str, value: Any) -> None:
    await producer.send_and_wait(topic, key=key.encode(), value=dumps(value))


def report(downlink_id: str, status: str, **extra: Any) -> DownlinkReport:
    return DownlinkReport.model_validate(
        {
            "downlink_id": downlink_id,
            "status": status,
            "reported_at": datetime.now(UTC),
            "reporter": "test",
            **extra,
        }
    )


def lora_result(downlink_id: str, result: str) -> LoraDownlinkResult:
    return LoraDownlinkResult.model_validate(
        {"correlation_id": downlink_id, "result": result, "at": datetime.now(UTC)}
    )


async def read_for(reader: TopicReader, seconds: float) -> None:
    """Let `reader` take in what arrives for `seconds`."""
    with contextlib.suppress(TimeoutError):
        await reader.wait_for(lambda _: False, timeout_s=seconds)


async def metric(platform: Platform, sample: str) -> float:
    """The value of one sample (`name{labels}` as exposed) of the registry's /metrics."""
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=10) as client:
        text = (await client.get("/metrics")).text
    found = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def events_of(reader: TopicReader, downlink_id: str) -> list[str]:
    return [
        str(header(r, "senflow-event-type"))
        for r in reader.records
        if r.key is not None and r.key.decode() == downlink_id
    ]


async def test_a_queued_downlink_is_read_back_and_published_as_an_event(
    platform: Platform, admin: Api
) -> None:
    customer_id, api = await create_customer(admin)
    device_id = await register_internet_device(api)
    events = await TopicReader(platform.kafka_bootstrap, topics.DOWNLINKS).start()
    try:
        created = await api.ok(
            "POST", f"/devices/{device_id}/downlinks", {"command": SETPOINT, "ttl_s": 600}
        )
        assert (created["status"], created["source"], created["version"]) == ("queued", "api", 1)
        [queued] = await events.wait_for(
            lambda r: (
                r.key == created["id"].encode()
                and header(r, "senflow-event-type") == "DownlinkQueued"
            )
        )
    finally:
        await events.stop()
    assert header(queued, "senflow-customer-id") == customer_id
    event = orjson.loads(queued.value)
    assert (event["entity_type"], event["entity_version"]) == ("downlink", 1)
    assert event["snapshot"]["status"] == "queued"
    assert event["snapshot"]["command"] == SETPOINT

    read = await api.ok("GET", f"/downlinks/{created['id']}")
    assert read["status"] in ("queued", "executing")  # the router may have taken it
    for field in ("device_id", "network_type", "identifier", "command", "encoder_id"):
        assert read[field] == created[field], field
    assert read["encoder_id"] is None and read["flow_id"] is None
    listed = await api.ok("GET", f"/devices/{device_id}/downlinks")
    assert [d["id"] for d in listed["items"]] == [created["id"]]


async def test_reports_and_lora_results_move_a_downlink_once_each(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    _, api = await create_customer(admin)
    device_id, dev_eui = await register_lora_device(api)
    body = {"command": {"payload_hex": "0164", "f_port": 10}, "confirmed": True}
    events = await TopicReader(platform.kafka_bootstrap, topics.DOWNLINKS).start()
    try:
        downlink = await api.ok("POST", f"/devices/{device_id}/downlinks", body)
        dl = downlink["id"]
        executing = report(dl, "executing", payload_hex="0164", f_port=10)
        await publish(producer, topics.DOWNLINK_REPORTS, dl, executing)
        found = await wait_downlink_status(api, dl, "executing")
        # Sent as is (no encoder): the router, had it been first, encoded the same bytes.
        assert (found["payload_hex"], found["f_port"]) == ("0164", 10)
        assert found["executing_at"] is not None

        await publish(producer, topics.DOWNLINKS_LORA_RESULTS, dev_eui, lora_result(dl, "sent"))
        found = await wait_downlink_status(api, dl, "sent")
        assert found["sent_at"] is not None and found["finished_at"] is None
        acknowledged = lora_result(dl, "acknowledged")
        await publish(producer, topics.DOWNLINKS_LORA_RESULTS, dev_eui, acknowledged)
        done = await wait_downlink_status(api, dl, "acknowledged")
        assert done["finished_at"] is not None

        # Repeated and out of order: nothing changes, no event.
        await publish(producer, topics.DOWNLINKS_LORA_RESULTS, dev_eui, lora_result(dl, "sent"))
        await publish(producer, topics.DOWNLINKS_LORA_RESULTS, dev_eui, lora_result(dl, "failed"))
        await publish(producer, topics.DOWNLINK_REPORTS, dl, executing)
        await publish(producer, topics.DOWNLINK_REPORTS, dl, report(dl, "failed", reason="late"))
        await registry_caught_up(platform, topics.DOWNLINK_REPORTS, topics.DOWNLINKS_LORA_RESULTS)
        assert await api.ok("GET", f"/downlinks/{dl}") == done
        await events.wait_for(
            lambda r: (
                r.key == dl.encode() and header(r, "senflow-event-type") == "DownlinkAcknowledged"
            )
        )
        await read_for(events, 3.0)  # an event of a change that should not be shows by then
    finally:
        await events.stop()
    assert events_of(events, dl) == [
        "DownlinkQueued",
        "DownlinkExecuting",
        "DownlinkSent",
        "DownlinkAcknowledged",
    ]


async def test_a_queued_downlink_is_cancelled_once(platform: Platform, admin: Api) -> None:
    _, api = await create_customer(admin)
    device_id = await register_internet_device(api)
    cancelled: dict[str, Any] | None = None
    for _ in range(5):  # the router may take a downlink before the cancel: try another
        created = await api.ok("POST", f"/devices/{device_id}/downlinks", {"command": SETPOINT})
        resp = await api.call("POST", f"/downlinks/{created['id']}/cancel")
        if resp.status_code == 200:
            cancelled = resp.json()
            break
        assert resp.status_code == 409, resp.text
        assert "only a queued downlink can be cancelled" in resp.json()["detail"]
    assert cancelled is not None, "the router took every downlink before its cancel"
    assert cancelled["status"] == "cancelled" and cancelled["finished_at"] is not None

    again = await api.call("POST", f"/downlinks/{cancelled['id']}/cancel")
    assert again.status_code == 409
    assert "is cancelled" in again.json()["detail"]
    assert (await api.ok("GET", f"/downlinks/{cancelled['id']}"))["status"] == "cancelled"
    listed = await api.ok("GET", f"/devices/{device_id}/downlinks?status=cancelled")
    assert [d["id"] for d in listed["items"]] == [cancelled["id"]]


async def test_a_downlink_not_sent_within_its_time_to_live_expires(
    platform: Platform, admin: Api
) -> None:
    _, api = await create_customer(admin)
    device_id = await register_internet_device(api)  # it never polls: nothing is sent
    events = await TopicReader(platform.kafka_bootstrap, topics.DOWNLINKS).start()
    try:
        created = await api.ok(
            "POST", f"/devices/{device_id}/downlinks", {"command": SETPOINT, "ttl_s": 1}
        )
        expired = await wait_downlink_status(api, created["id"], "expired")
        await events.wait_for(
            lambda r: (
                r.key == created["id"].encode()
                and header(r, "senflow-event-type") == "DownlinkExpired"
            )
        )
    finally:
        await events.stop()
    assert expired["reason"] == "not sent within its time to live"
    assert expired["finished_at"] is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"command": {"payload_hex": "0164"}}, "command.f_port"),
        ({"command": SETPOINT}, "command.senml"),  # a LoRa device without an encoder
        ({"command": {"data": {"interval": 60}}}, "command.data"),
        ({"command": {"payload_hex": "01", "f_port": 1, **SETPOINT}}, "command"),
        ({"command": {"payload_hex": "0X"}}, "command.payload_hex"),
        ({"command": {"payload_hex": "01", "f_port": 0}}, "command.f_port"),
        ({"command": {"payload_hex": "01", "f_port": 1}, "ttl_s": 8 * 24 * 3600}, "ttl_s"),
        ({"command": {"payload_hex": "01", "f_port": 1}, "flow_id": str(uuid.uuid4())}, "flow_id"),
        ({"command": {"payload_hex": "01", "f_port": 1}, "network_type": "MQTT"}, "network_type"),
    ],
)
async def test_an_invalid_command_is_422_naming_the_field(
    admin: Api, body: dict[str, Any], field: str
) -> None:
    _, api = await create_customer(admin)
    device_id, _ = await register_lora_device(api)
    resp = await api.call("POST", f"/devices/{device_id}/downlinks", body)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in resp.json()["errors"]], resp.text
    assert (await api.ok("GET", f"/devices/{device_id}/downlinks"))["items"] == []


async def test_a_downlink_is_refused_when_the_device_cannot_take_one(admin: Api) -> None:
    _, api = await create_customer(admin)
    internet = await register_internet_device(api)
    confirmed = {"command": SETPOINT, "confirmed": True}
    resp = await api.call("POST", f"/devices/{internet}/downlinks", confirmed)
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "confirmed"

    bare = await api.ok("POST", "/devices", {"name": "b", "specification_id": "generic-mqtt"})
    resp = await api.call("POST", f"/devices/{bare['id']}/downlinks", {"command": SETPOINT})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "network_info"

    await api.ok("PATCH", f"/devices/{internet}", {"status": "deactivated"})
    resp = await api.call("POST", f"/devices/{internet}/downlinks", {"command": SETPOINT})
    assert resp.status_code == 409 and "deactivated" in resp.json()["detail"]


async def test_the_flow_is_required_when_the_devices_flows_have_different_encoders(
    admin: Api,
) -> None:
    _, api = await create_customer(admin)
    device_id, _ = await register_lora_device(api, specification_id="cayenne-lpp-lora")
    project = await api.ok("POST", "/projects", {"name": "p"})
    flows = {}
    for encoder in ("cayenne-lpp-encoder", "lora-raw-encoder"):
        body = {
            "project_id": project["id"],
            "name": encoder,
            "device_ids": [device_id],
            "encoder_ids": [encoder],
        }
        flows[encoder] = (await api.ok("POST", "/flows", body))["id"]
    command = {"senml": [{"n": "1/digitalOutput", "vb": True}]}
    resp = await api.call("POST", f"/devices/{device_id}/downlinks", {"command": command})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "flow_id"

    chosen = flows["cayenne-lpp-encoder"]
    body = {"command": command, "flow_id": chosen}
    created = await api.ok("POST", f"/devices/{device_id}/downlinks", body)
    assert (created["flow_id"], created["encoder_id"]) == (chosen, "cayenne-lpp-encoder")
    raw = {"command": {"payload_hex": "01", "f_port": 1}, "flow_id": chosen}
    resp = await api.call("POST", f"/devices/{device_id}/downlinks", raw)
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "command.payload_hex"


async def test_nothing_of_a_customers_downlinks_is_reachable_with_another_customers_key(
    admin: Api,
) -> None:
    _, owner = await create_customer(admin, "owner")
    _, other = await create_customer(admin, "other")
    device_id = await register_internet_device(owner)
    created = await owner.ok("POST", f"/devices/{device_id}/downlinks", {"command": SETPOINT})
    for method, path, body in [
        ("GET", f"/downlinks/{created['id']}", None),
        ("POST", f"/downlinks/{created['id']}/cancel", None),
        ("GET", f"/devices/{device_id}/downlinks", None),
        ("POST", f"/devices/{device_id}/downlinks", {"command": SETPOINT}),
    ]:
        resp = await other.call(method, path, body)
        assert resp.status_code == 404, f"{method} {path}: {resp.status_code}"
    other_device = await register_internet_device(other)
    assert (await other.ok("GET", f"/devices/{other_device}/downlinks"))["items"] == []
    assert (await owner.ok("GET", f"/downlinks/{created['id']}"))["id"] == created["id"]


async def test_a_destinations_request_makes_one_downlink_even_when_delivered_twice(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    customer_id, api = await create_customer(admin)
    device_id = await register_internet_device(api)
    destination = await api.ok(
        "POST",
        "/destinations",
        {
            "name": "hook",
            "config": {"url": "https://example.com/hook"},
            "secret": new_destination_secret(),
        },
    )
    delivery_id = str(uuid.uuid4())
    request = DownlinkRequest(
        request_id=str(uuid.uuid5(uuid.NAMESPACE_URL, delivery_id)),
        customer_id=customer_id,
        device_id=device_id,
        destination_id=destination["id"],
        delivery_id=delivery_id,
        command=DownlinkCommand.model_validate(SETPOINT),
        ttl_s=600,
        requested_at=datetime.now(UTC),
    )
    other_id, other = await create_customer(admin, "other")
    foreign = request.model_copy(update={"request_id": str(uuid.uuid4()), "customer_id": other_id})
    not_owned = 'senflow_registry_downlink_requests_skipped_total{reason="not-owned"}'
    refused_before = await metric(platform, not_owned)
    for value in (request, request, foreign):
        await publish(producer, topics.DOWNLINK_REQUESTS, device_id, value)
    await registry_caught_up(platform, topics.DOWNLINK_REQUESTS)

    listed = await api.ok("GET", f"/devices/{device_id}/downlinks")
    [made] = listed["items"]
    assert made["id"] == request.request_id
    assert (made["source"], made["destination_id"]) == ("destination", destination["id"])
    assert made["command"]["senml"] == SETPOINT["senml"]
    # The foreign request names another customer's device: no downlink for either of them.
    for key in (other, api):
        missing = await key.call("GET", f"/downlinks/{foreign.request_id}")
        assert missing.status_code == 404
    assert await metric(platform, not_owned) >= refused_before + 1

    # Redelivered after the device was deactivated: still a duplicate, not a refusal.
    duplicate = 'senflow_registry_downlink_requests_skipped_total{reason="duplicate"}'
    invalid = 'senflow_registry_downlink_requests_skipped_total{reason="invalid-command"}'
    duplicates_before, invalid_before = (
        await metric(platform, duplicate),
        await metric(platform, invalid),
    )
    await api.ok("PATCH", f"/devices/{device_id}", {"status": "deactivated"})
    await publish(producer, topics.DOWNLINK_REQUESTS, device_id, request)
    await registry_caught_up(platform, topics.DOWNLINK_REQUESTS)
    assert await metric(platform, duplicate) == duplicates_before + 1
    assert await metric(platform, invalid) == invalid_before


async def test_unsent_downlinks_fail_when_their_devices_identity_changes_or_goes(
    platform: Platform, admin: Api
) -> None:
    # The identifier may become another customer's device's: nothing queued for it may
    # reach that device.
    _, api = await create_customer(admin)
    device_id, dev_eui = await register_lora_device(api)
    lora = {"join_eui": "70B3D57ED0000000", "app_key": "00" * 16}
    identity = f"/devices/{device_id}/network-info/KPNLORA"
    raw = {"command": {"payload_hex": "0164", "f_port": 10}, "ttl_s": 600}
    events = await TopicReader(platform.kafka_bootstrap, topics.DOWNLINKS).start()
    try:
        first = await api.ok("POST", f"/devices/{device_id}/downlinks", raw)
        await api.ok("PUT", identity, {**lora, "dev_eui": dev_eui})  # the same identity
        kept = await api.ok("GET", f"/downlinks/{first['id']}")
        assert kept["status"] in ("queued", "executing")  # the router may have encoded it

        await api.ok("PUT", identity, {**lora, "dev_eui": new_dev_eui()})
        failed = await api.ok("GET", f"/downlinks/{first['id']}")
        assert (failed["status"], failed["reason"]) == (
            "failed",
            "the device's KPNLORA identity changed",
        )
        assert failed["finished_at"] is not None

        second = await api.ok("POST", f"/devices/{device_id}/downlinks", raw)
        await api.ok("DELETE", identity)
        removed = await api.ok("GET", f"/downlinks/{second['id']}")
        assert (removed["status"], removed["reason"]) == (
            "failed",
            "the device's KPNLORA identity was removed",
        )
        await events.wait_for(
            lambda r: (
                r.key == second["id"].encode()
                and header(r, "senflow-event-type") == "DownlinkFailed"
            )
        )
    finally:
        await events.stop()
    assert "DownlinkFailed" in events_of(events, first["id"])


async def test_unsent_downlinks_fail_when_their_device_is_deactivated(admin: Api) -> None:
    _, api = await create_customer(admin)
    device_id = await register_internet_device(api)
    created = await api.ok("POST", f"/devices/{device_id}/downlinks", {"command": SETPOINT})
    await api.ok("PATCH", f"/devices/{device_id}", {"status": "deactivated"})
    found = await api.ok("GET", f"/downlinks/{created['id']}")
    assert (found["status"], found["reason"]) == ("failed", "the device was deactivated")


async def test_an_oversized_command_is_refused_before_it_is_queued(admin: Api) -> None:
    _, api = await create_customer(admin)
    device_id = await register_internet_device(api)
    path = f"/devices/{device_id}/downlinks"
    resp = await api.call("POST", path, {"command": {"data": {"a": "x" * (2 * 1024 * 1024)}}})
    assert resp.status_code == 413, resp.text
    assert "larger than 1048576 bytes" in resp.json()["detail"]
    resp = await api.call("POST", path, {"command": {"data": {"a": "x" * 20_000}}})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "command"
    deep: Any = 1
    for _ in range(40):
        deep = {"a": deep}
    resp = await api.call("POST", path, {"command": {"data": deep}})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "command.data"
    assert (await api.ok("GET", path))["items"] == []


async def test_a_change_event_kafka_refuses_is_parked_and_the_next_ones_go_on(
    platform: Platform, admin: Api
) -> None:
    # What an oversized downlink did before commands were bounded: a 2 MiB outbox row,
    # above Kafka's maximum request, at the head of the outbox.
    parked_before = await metric(platform, "senflow_registry_outbox_parked_total")
    conn = await asyncpg.connect(platform.database_url)
    oversized = None
    try:
        headers = {"senflow-event-type": "DownlinkQueued", "senflow-entity-version": "1"}
        oversized = await conn.fetchval(
            "INSERT INTO outbox (topic, key, value, headers) VALUES ($1, $2, $3, $4::jsonb)"
            " RETURNING id",
            topics.DOWNLINKS,
            str(uuid.uuid4()),
            b"x" * (2 * 1024 * 1024),
            json.dumps(headers),
        )
        _, api = await create_customer(admin)
        device_id = await register_internet_device(api)
        events = await TopicReader(platform.kafka_bootstrap, topics.DOWNLINKS).start()
        try:
            created = await api.ok("POST", f"/devices/{device_id}/downlinks", {"command": SETPOINT})
            await events.wait_for(lambda r: r.key == created["id"].encode())
        finally:
            await events.stop()
        parked = await conn.fetchrow(
            "SELECT topic, error, octet_length(value) AS size FROM outbox_parked WHERE id = $1",
            oversized,
        )
        assert parked is not None, "the oversized row was not parked"
        assert parked["error"].startswith("MessageSizeTooLargeError")
        assert parked["size"] == 2 * 1024 * 1024
        assert not await conn.fetchval("SELECT count(*) FROM outbox WHERE id = $1", oversized)
        assert await metric(platform, "senflow_registry_outbox_parked_total") >= parked_before + 1
    finally:
        if oversized is not None:
            await conn.execute("DELETE FROM outbox_parked WHERE id = $1", oversized)
        await conn.close()


async def test_the_downlink_metrics_are_served(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=10) as client:
        text = (await client.get("/metrics")).text
    for name in (
        'senflow_registry_downlinks_created_total{source="api"}',
        'senflow_registry_downlink_updates_ignored_total{reason="not-allowed"}',
        'senflow_registry_downlink_requests_skipped_total{reason="duplicate"}',
        "senflow_registry_downlinks_expired_total",
    ):
        assert name in text, name
