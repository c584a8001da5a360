"""Internet and M2M devices get their downlinks in the answer to their next uplink: 200 with
the command as body, then `sent`; 204 once none waits. Never another device's downlink,
never an expired one.

The devices are in no flow, so the router's executor sends each command as it is (a SenML
command as SenML JSON, a raw payload as its bytes). The ingest learns that a downlink is
executing from `senflow.downlinks.v1` a moment after the registry has it, so a test posts
uplinks until one carries it; every answer before that one must be a plain 204.
"""

import asyncio
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.e2e.router.test_http_ingest import IP_PATH, M2M_PATH, new_imei, token
from tests.support.api import Api, create_customer, wait_downlink_status, wait_outbox_drained
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e

INTERVAL = [{"n": "interval", "v": 60}]


@dataclass
class Device:
    api: Api
    device_id: str
    urn: str
    secret: str
    path: str


async def register(api: Api, network_type: str) -> Device:
    secret = secrets.token_hex(20)
    if network_type == "INTERNET":
        identifier = str(uuid.uuid4())
        info = {"INTERNET": {"dvn_uuid": identifier, "shared_secret": secret}}
        spec, urn, path = "generic-internet", f"urn:dev:DVNUUID:{identifier}:", IP_PATH
    else:
        identifier = new_imei()
        info = {"M2M": {"imei": identifier, "shared_secret": secret}}
        spec, urn, path = "generic-m2m", f"urn:dev:IMEI:{identifier}:", M2M_PATH
    body = {"name": "d", "specification_id": spec, "network_info": info}
    device = await api.ok("POST", "/devices", body)
    return Device(api, device["id"], urn, secret, path)


async def new_device(platform: Platform, admin: Api, network_type: str) -> Device:
    """A device of a new customer, in no flow, known to the ingest."""
    _, api = await create_customer(admin)
    device = await register(api, network_type)
    await wait_outbox_drained(platform.database_url)
    return device


async def queue(device: Device, command: dict[str, Any], ttl_s: int = 600) -> str:
    body = {"command": command, "ttl_s": ttl_s}
    created = await device.api.ok("POST", f"/devices/{device.device_id}/downlinks", body)
    return str(created["id"])


async def uplink(ingest: httpx.AsyncClient, device: Device, value: float = 21.5) -> httpx.Response:
    body = json.dumps([{"bn": device.urn, "n": "temperature", "u": "Cel", "v": value}]).encode()
    headers = {
        "Things-Message-Token": token(body, device.secret),
        "Content-Type": "application/senml+json",
    }
    return await ingest.post(device.path, content=body, headers=headers)


def assert_plain(resp: httpx.Response) -> None:
    assert resp.status_code == 204, resp.text
    assert resp.headers["Senflow-Message-Id"]
    assert "Senflow-Downlink-Id" not in resp.headers


async def uplink_until_downlink(ingest: httpx.AsyncClient, device: Device) -> httpx.Response:
    """The first answer that carries a downlink; those before it are plain 204s."""
    async with asyncio.timeout(10):
        while (resp := await uplink(ingest, device)).status_code != 200:
            assert_plain(resp)
            await asyncio.sleep(0.1)
    assert resp.headers["Senflow-Message-Id"]
    return resp


async def executing(device: Device, *downlink_ids: str) -> None:
    for downlink_id in downlink_ids:
        await wait_downlink_status(device.api, downlink_id, "executing")


@pytest.fixture
async def ingest(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.ingest_url, timeout=20) as client:
        yield client


async def test_internet_device_gets_its_senml_downlink_with_its_next_uplink_then_204(
    platform: Platform, admin: Api, ingest: httpx.AsyncClient
) -> None:
    device = await new_device(platform, admin, "INTERNET")
    assert_plain(await uplink(ingest, device))
    downlink_id = await queue(device, {"senml": INTERVAL})
    await executing(device, downlink_id)

    answer = await uplink_until_downlink(ingest, device)

    assert answer.headers["Senflow-Downlink-Id"] == downlink_id
    assert answer.headers["Content-Type"] == "application/senml+json"
    assert answer.json() == INTERVAL
    sent = await wait_downlink_status(device.api, downlink_id, "sent", "failed", "expired")
    assert sent["status"] == "sent"
    assert sent["sent_at"] is not None
    assert_plain(await uplink(ingest, device))


async def test_m2m_device_gets_raw_downlinks_as_bytes_oldest_first_one_per_answer(
    platform: Platform, admin: Api, ingest: httpx.AsyncClient
) -> None:
    device = await new_device(platform, admin, "M2M")
    first = await queue(device, {"payload_hex": "0164"})
    second = await queue(device, {"payload_hex": "02FF"})
    await executing(device, first, second)
    await wait_outbox_drained(platform.database_url)
    await asyncio.sleep(0.5)  # the ingest follows the topic in ≤ 100 ms rounds: both held

    answers = [await uplink(ingest, device) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 204]
    assert [a.headers.get("Senflow-Downlink-Id") for a in answers] == [first, second, None]
    assert [a.content for a in answers[:2]] == [b"\x01\x64", b"\x02\xff"]
    assert {a.headers["Content-Type"] for a in answers[:2]} == {"application/octet-stream"}
    for downlink_id in (first, second):
        assert (await wait_downlink_status(device.api, downlink_id, "sent"))["status"] == "sent"


async def test_downlink_of_another_customers_device_never_rides_on_this_devices_answer(
    platform: Platform, admin: Api, ingest: httpx.AsyncClient
) -> None:
    owner = await new_device(platform, admin, "INTERNET")
    stranger = await new_device(platform, admin, "INTERNET")
    downlink_id = await queue(owner, {"senml": INTERVAL})
    await executing(owner, downlink_id)
    await wait_outbox_drained(platform.database_url)
    await asyncio.sleep(0.5)  # held by the ingest by now

    for n in range(5):
        assert_plain(await uplink(ingest, stranger, n))
    answer = await uplink(ingest, owner)
    assert answer.headers.get("Senflow-Downlink-Id") == downlink_id  # it was waiting, for owner


async def test_downlink_past_its_time_to_live_is_never_sent(
    platform: Platform, admin: Api, ingest: httpx.AsyncClient
) -> None:
    device = await new_device(platform, admin, "INTERNET")
    downlink_id = await queue(device, {"senml": INTERVAL}, ttl_s=1)
    await asyncio.sleep(1.5)  # past expires_at, whether or not the registry expired it yet

    for _ in range(3):
        assert_plain(await uplink(ingest, device))
    expired = await wait_downlink_status(device.api, downlink_id, "expired", "sent")
    assert expired["status"] == "expired"
