"""A thin client of the registry API for tests, and a tenant set up end to end."""

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

DESTINATION_SECRET_ALPHABET = "Aa1!"


def new_destination_secret() -> str:
    return "Sf-" + secrets.token_hex(16) + DESTINATION_SECRET_ALPHABET


def new_dev_eui() -> str:
    return secrets.token_hex(8).upper()


class Api:
    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client = client
        self.token = token

    async def call(
        self, method: str, path: str, body: Any = None, **headers: str
    ) -> httpx.Response:
        return await self.client.request(
            method, path, json=body, headers={"Authorization": f"Bearer {self.token}", **headers}
        )

    async def ok(self, method: str, path: str, body: Any = None) -> Any:
        resp = await self.call(method, path, body)
        assert resp.status_code < 300, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json()


@dataclass
class Tenant:
    """A customer with a key, a project, one LoRa device, one HTTPS destination, one flow."""

    api: Api
    customer_id: str
    project_id: str
    device_id: str
    dev_eui: str
    destination_id: str
    destination_secret: str
    flow_id: str


async def create_customer(admin: Api, name: str = "test customer") -> tuple[str, Api]:
    customer = await admin.ok("POST", "/customers", {"name": name})
    key = await admin.ok(
        "POST", "/api-keys", {"customer_id": customer["id"], "scopes": ["read", "write"]}
    )
    return customer["id"], Api(admin.client, key["key"])


async def register_lora_device(
    api: Api, name: str = "d", specification_id: str = "own-lora"
) -> tuple[str, str]:
    """A device with KPNLORA network info (a fresh DevEUI); its id and DevEUI."""
    dev_eui = new_dev_eui()
    lora = {"dev_eui": dev_eui, "join_eui": "70B3D57ED0000000", "app_key": "00" * 16}
    body = {"name": name, "specification_id": specification_id, "network_info": {"KPNLORA": lora}}
    device = await api.ok("POST", "/devices", body)
    return str(device["id"]), dev_eui


async def create_tenant(
    admin: Api, webhook_url: str, database_url: str, secret: str | None = None
) -> Tenant:
    customer_id, api = await create_customer(admin)
    secret = secret or new_destination_secret()
    project = await api.ok("POST", "/projects", {"name": "p"})
    device_id, dev_eui = await register_lora_device(api)
    destination = await api.ok(
        "POST", "/destinations", {"name": "hook", "config": {"url": webhook_url}, "secret": secret}
    )
    flow = await api.ok(
        "POST",
        "/flows",
        {
            "project_id": project["id"],
            "name": "f",
            "device_ids": [device_id],
            "destination_ids": [destination["id"]],
            "decoder_ids": ["lora-raw"],
        },
    )
    await wait_outbox_drained(database_url)
    return Tenant(
        api,
        customer_id,
        project["id"],
        device_id,
        dev_eui,
        destination["id"],
        secret,
        flow["id"],
    )


@dataclass
class Route:
    """A customer's LoRa device in a flow (lora-raw) to one destination of any type."""

    api: Api
    customer_id: str
    device_id: str
    dev_eui: str
    destination_id: str
    flow_id: str


async def create_route(admin: Api, database_url: str, destination: dict[str, Any]) -> Route:
    """A new customer with one device in a flow to `destination` (a POST /destinations body),
    published to Kafka when this returns."""
    customer_id, api = await create_customer(admin)
    project = await api.ok("POST", "/projects", {"name": "p"})
    device_id, dev_eui = await register_lora_device(api)
    created = await api.ok("POST", "/destinations", destination)
    flow = await api.ok(
        "POST",
        "/flows",
        {
            "project_id": project["id"],
            "name": "f",
            "device_ids": [device_id],
            "destination_ids": [created["id"]],
            "decoder_ids": ["lora-raw"],
        },
    )
    await wait_outbox_drained(database_url)
    return Route(api, customer_id, device_id, dev_eui, created["id"], flow["id"])


async def webhook_flow(
    api: Api, device_ids: list[str], url: str, decoder_ids: tuple[str, ...] = ("senml",)
) -> tuple[str, str]:
    """A project, an HTTPS destination to `url` (a fresh shared secret) and a flow from
    the devices to it; the destination's id and secret."""
    project = await api.ok("POST", "/projects", {"name": "p"})
    secret = new_destination_secret()
    destination = await api.ok(
        "POST", "/destinations", {"name": "hook", "config": {"url": url}, "secret": secret}
    )
    await api.ok(
        "POST",
        "/flows",
        {
            "project_id": project["id"],
            "name": "f",
            "device_ids": device_ids,
            "destination_ids": [destination["id"]],
            "decoder_ids": list(decoder_ids),
        },
    )
    return str(destination["id"]), secret


async def wait_outbox_drained(database_url: str, timeout_s: float = 10.0) -> None:
    """Wait until the relay has published every committed change to Kafka.

    From then on the router and dispatcher see those changes: on a miss they catch up
    with the registry topics before deciding.
    """
    conn = await asyncpg.connect(database_url)
    try:
        async with asyncio.timeout(timeout_s):
            # Polling is the only way to watch another process's table without LISTEN.
            while await conn.fetchval("SELECT count(*) FROM outbox"):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    finally:
        await conn.close()


async def wait_downlink_status(
    api: Api, downlink_id: str, *statuses: str, timeout_s: float = 30.0
) -> dict[str, Any]:
    """The downlink once its status is one of `statuses` (fails naming the status it has)."""
    found: dict[str, Any] = {}
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                found = await api.ok("GET", f"/downlinks/{downlink_id}")
                if found["status"] in statuses:
                    return found
                await asyncio.sleep(0.2)
    except TimeoutError:
        pytest.fail(f"downlink {downlink_id} is {found.get('status')}, not {statuses}: {found}")
