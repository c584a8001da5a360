"""Nothing of one customer is visible to, or changeable by, another: a 404 everywhere."""

import pytest

from tests.support.api import Api, Tenant, create_customer, create_tenant
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e


@pytest.fixture
async def owner(platform: Platform, admin: Api) -> Tenant:
    return await create_tenant(admin, "http://127.0.0.1:9/x", platform.database_url)


def _paths(t: Tenant) -> list[tuple[str, str, dict[str, object] | None]]:
    return [
        ("GET", f"/projects/{t.project_id}", None),
        ("PATCH", f"/projects/{t.project_id}", {"name": "x"}),
        ("DELETE", f"/projects/{t.project_id}?cascade=true", None),
        ("GET", f"/devices/{t.device_id}", None),
        ("PATCH", f"/devices/{t.device_id}", {"status": "deactivated"}),
        ("DELETE", f"/devices/{t.device_id}?detach=true", None),
        ("GET", f"/devices/{t.device_id}/network-info/KPNLORA", None),
        ("DELETE", f"/devices/{t.device_id}/network-info/KPNLORA", None),
        ("PUT", f"/devices/{t.device_id}/network-info/MQTT", {"client_id": "steal"}),
        ("GET", f"/destinations/{t.destination_id}", None),
        ("PATCH", f"/destinations/{t.destination_id}", {"enabled": False}),
        ("DELETE", f"/destinations/{t.destination_id}?detach=true", None),
        ("GET", f"/flows/{t.flow_id}", None),
        ("PATCH", f"/flows/{t.flow_id}", {"enabled": False}),
        ("POST", f"/flows/{t.flow_id}/devices", {"remove": [t.device_id]}),
        ("POST", f"/flows/{t.flow_id}/destinations", {"remove": [t.destination_id]}),
        ("DELETE", f"/flows/{t.flow_id}", None),
    ]


async def test_every_resource_of_another_customer_is_404(owner: Tenant, admin: Api) -> None:
    _, intruder = await create_customer(admin)
    for method, path, body in _paths(owner):
        resp = await intruder.call(method, path, body)
        assert resp.status_code == 404, f"{method} {path}: {resp.status_code}"
    for method, path, _ in _paths(owner):
        if method == "GET":  # and nothing changed for the owner
            assert (await owner.api.call(method, path)).status_code == 200, path


async def test_lists_hold_only_the_callers_objects(owner: Tenant, admin: Api) -> None:
    _, intruder = await create_customer(admin)
    for collection in ("projects", "devices", "destinations", "flows"):
        page = await intruder.ok("GET", f"/{collection}")
        assert page == {"items": [], "next_cursor": None}, collection
        assert len((await owner.api.ok("GET", f"/{collection}"))["items"]) == 1


async def test_flow_cannot_use_another_customers_destination_or_diy_decoder(
    owner: Tenant, admin: Api
) -> None:
    _, intruder = await create_customer(admin)
    codec = await owner.api.ok(
        "POST",
        "/decoders",
        {"name": "mine", "contract": "kpn", "script": "function main(s){return null}"},
    )
    project = await intruder.ok("POST", "/projects", {"name": "p"})
    for field, value in (
        ("destination_ids", [owner.destination_id]),
        ("decoder_ids", [codec["id"]]),
    ):
        resp = await intruder.call(
            "POST", "/flows", {"project_id": project["id"], "name": "f", field: value}
        )
        assert resp.status_code == 422, resp.text
        assert resp.json()["errors"][0]["field"] == field
    assert (await intruder.call("GET", f"/decoders/{codec['id']}")).status_code == 404


async def test_api_key_of_another_customer_cannot_be_revoked(owner: Tenant, admin: Api) -> None:
    _, intruder = await create_customer(admin)
    [key] = await owner.api.ok("GET", "/api-keys")
    assert (await intruder.call("DELETE", f"/api-keys/{key['id']}")).status_code == 404
    assert (await owner.api.call("GET", "/projects")).status_code == 200
