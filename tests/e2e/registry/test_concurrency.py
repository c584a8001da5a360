"""Optimistic concurrency: ten clients updating one device lose no update."""

import asyncio

import pytest

from tests.support.api import Api, create_customer

pytestmark = pytest.mark.e2e

CLIENTS = 10


async def _add_tag(api: Api, path: str, client: int) -> int:
    """Read-modify-write with If-Match, retrying on 412; the number of 412s seen."""
    conflicts = 0
    while True:
        current = await api.call("GET", path)
        tags = {**current.json()["tags"], f"client{client}": "yes"}
        resp = await api.call(
            "PATCH", path, {"tags": tags}, **{"If-Match": current.headers["etag"]}
        )
        if resp.status_code == 200:
            return conflicts
        assert resp.status_code == 412, resp.text
        conflicts += 1


async def test_no_update_is_lost_when_ten_clients_update_one_device(admin: Api) -> None:
    _, api = await create_customer(admin)
    device = await api.ok("POST", "/devices", {"name": "shared", "specification_id": "own-lora"})
    path = f"/devices/{device['id']}"

    conflicts = await asyncio.gather(*(_add_tag(api, path, i) for i in range(CLIENTS)))

    final = await api.ok("GET", path)
    assert final["tags"] == {f"client{i}": "yes" for i in range(CLIENTS)}
    assert final["version"] == 1 + CLIENTS
    assert sum(conflicts) > 0, "the clients never raced: the test proved nothing"
