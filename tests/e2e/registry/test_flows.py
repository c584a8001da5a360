"""Flows: codecs must suit every device in them; members change as events."""

import pytest

from tests.support.api import Api, create_customer

pytestmark = pytest.mark.e2e


async def _project(api: Api) -> str:
    return str((await api.ok("POST", "/projects", {"name": "p"}))["id"])


async def test_built_in_decoder_the_device_specification_lacks_is_422(admin: Api) -> None:
    _, api = await create_customer(admin)
    device = await api.ok("POST", "/devices", {"name": "d", "specification_id": "own-lora"})
    resp = await api.call(
        "POST",
        "/flows",
        {
            "project_id": await _project(api),
            "name": "f",
            "device_ids": [device["id"]],
            "decoder_ids": ["elsys"],
        },
    )
    assert resp.status_code == 422
    [error] = resp.json()["errors"]
    assert error["field"] == "decoder_ids"
    assert "does not support elsys" in error["reason"]


async def test_adding_a_device_that_cannot_use_the_flows_decoders_is_422(admin: Api) -> None:
    _, api = await create_customer(admin)
    flow = await api.ok(
        "POST",
        "/flows",
        {"project_id": await _project(api), "name": "f", "decoder_ids": ["lora-raw"]},
    )
    mqtt = await api.ok("POST", "/devices", {"name": "m", "specification_id": "generic-mqtt"})
    resp = await api.call("POST", f"/flows/{flow['id']}/devices", {"add": [mqtt["id"]]})
    assert resp.status_code == 422
    assert (await api.ok("GET", f"/flows/{flow['id']}"))["device_ids"] == []


async def test_encoder_listed_as_decoder_is_422(admin: Api) -> None:
    _, api = await create_customer(admin)
    resp = await api.call(
        "POST",
        "/flows",
        {"project_id": await _project(api), "name": "f", "decoder_ids": ["lora-raw-encoder"]},
    )
    assert resp.status_code == 422
    assert "unknown decoders" in resp.json()["errors"][0]["reason"]


async def test_members_change_in_one_versioned_step(admin: Api) -> None:
    _, api = await create_customer(admin)
    a = await api.ok("POST", "/devices", {"name": "a", "specification_id": "own-lora"})
    b = await api.ok("POST", "/devices", {"name": "b", "specification_id": "own-lora"})
    flow = await api.ok(
        "POST", "/flows", {"project_id": await _project(api), "name": "f", "device_ids": [a["id"]]}
    )
    changed = await api.call(
        "POST",
        f"/flows/{flow['id']}/devices",
        {"add": [b["id"]], "remove": [a["id"]]},
        **{"If-Match": '"1"'},
    )
    assert changed.status_code == 200
    assert changed.json()["device_ids"] == [b["id"]]
    assert changed.json()["version"] == 2
    stale = await api.call(
        "POST", f"/flows/{flow['id']}/devices", {"add": [a["id"]]}, **{"If-Match": '"1"'}
    )
    assert stale.status_code == 412
