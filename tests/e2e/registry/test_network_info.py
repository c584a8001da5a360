"""Network info per network type: the rules, with the field at fault named."""

import uuid

import pytest

from tests.support.api import Api, create_customer, new_dev_eui

pytestmark = pytest.mark.e2e

IMEI = "490154203237518"  # a valid Luhn check digit
SECRET = "a" * 15 + "B" * 15 + "123"


async def _device(api: Api, spec: str) -> str:
    device = await api.ok("POST", "/devices", {"name": "d", "specification_id": spec})
    return str(device["id"])


@pytest.mark.parametrize(
    ("spec", "network_type", "body", "identifier"),
    [
        (
            "generic-m2m",
            "M2M",
            {"imei": IMEI, "iccid": "8931089318104314834", "shared_secret": SECRET},
            IMEI,
        ),
        (
            "generic-internet",
            "INTERNET",
            {"dvn_uuid": "F47AC10B-58CC-4372-A567-0E02B2C3D479", "shared_secret": SECRET},
            "f47ac10b-58cc-4372-a567-0e02b2c3d479",
        ),
        (
            "generic-mqtt",
            "MQTT",
            {"client_id": "meter-42", "username": "u", "password": "p"},
            "meter-42",
        ),
    ],
)
async def test_network_info_is_stored_in_canonical_form(
    admin: Api, spec: str, network_type: str, body: dict[str, str], identifier: str
) -> None:
    _, api = await create_customer(admin)
    device_id = await _device(api, spec)
    if network_type == "MQTT":
        body = {**body, "client_id": f"{body['client_id']}-{uuid.uuid4().hex[:8]}"}
        identifier = body["client_id"]
    if network_type == "M2M":
        body = {**body, "imei": _fresh_imei()}  # IMEIs are unique platform-wide
        identifier = body["imei"]
    device = await api.ok("PUT", f"/devices/{device_id}/network-info/{network_type}", body)
    [info] = device["network_info"]
    assert info["identifier"] == identifier
    assert "secret" not in str(device).lower() and "password" not in str(device)


@pytest.mark.parametrize(
    ("network_type", "body", "field", "reason"),
    [
        ("M2M", {"imei": "490154203237519"}, "imei", "wrong check digit"),
        ("M2M", {"imei": "49015420323751"}, "imei", "15 digits"),
        ("M2M", {"imei": IMEI, "iccid": "123"}, "iccid", "19 or 20 digits"),
        ("M2M", {"imei": IMEI, "shared_secret": "short"}, "shared_secret", "30 to 100"),
        ("INTERNET", {"dvn_uuid": "not-a-uuid", "shared_secret": SECRET}, "dvn_uuid", "UUID"),
        (
            "INTERNET",
            {"dvn_uuid": str(uuid.uuid4()), "shared_secret": "x" * 29},
            "shared_secret",
            "30 to 100",
        ),
        ("MQTT", {"client_id": "has space"}, "client_id", "letters, digits"),
    ],
)
async def test_invalid_network_info_is_422_naming_the_field(
    admin: Api, network_type: str, body: dict[str, str], field: str, reason: str
) -> None:
    _, api = await create_customer(admin)
    spec = {"M2M": "generic-m2m", "INTERNET": "generic-internet", "MQTT": "generic-mqtt"}
    device_id = await _device(api, spec[network_type])
    resp = await api.call("PUT", f"/devices/{device_id}/network-info/{network_type}", body)
    assert resp.status_code == 422, resp.text
    [error] = resp.json()["errors"]
    assert error["field"] == field
    assert reason in error["reason"]


async def test_network_type_the_specification_lacks_is_refused(admin: Api) -> None:
    _, api = await create_customer(admin)
    device_id = await _device(api, "own-lora")
    resp = await api.call("PUT", f"/devices/{device_id}/network-info/MQTT", {"client_id": "x1"})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "network_type"


async def test_network_type_without_subscription_is_409(admin: Api) -> None:
    customer = await admin.ok(
        "POST", "/customers", {"name": "lora only", "network_types": ["KPNLORA"]}
    )
    key = await admin.ok(
        "POST", "/api-keys", {"customer_id": customer["id"], "scopes": ["write", "read"]}
    )
    api = Api(admin.client, key["key"])
    device_id = await _device(api, "generic-mqtt")
    resp = await api.call(
        "PUT", f"/devices/{device_id}/network-info/MQTT", {"client_id": f"c-{uuid.uuid4().hex}"}
    )
    assert resp.status_code == 409
    assert "MQTT network subscription" in resp.json()["detail"]


async def test_subscription_device_limit_is_enforced(admin: Api) -> None:
    customer_id, api = await create_customer(admin)
    await admin.ok(
        "PUT",
        "/network-subscriptions",
        {"customer_id": customer_id, "network_type": "KPNLORA", "max_devices": 1},
    )
    body = {"join_eui": "70B3D57ED0000000", "app_key": "00" * 16}
    first, second = await _device(api, "own-lora"), await _device(api, "own-lora")
    await api.ok(
        "PUT", f"/devices/{first}/network-info/KPNLORA", {**body, "dev_eui": new_dev_eui()}
    )
    resp = await api.call(
        "PUT", f"/devices/{second}/network-info/KPNLORA", {**body, "dev_eui": new_dev_eui()}
    )
    assert resp.status_code == 409
    assert "allows 1 device" in resp.json()["detail"]


async def test_device_can_be_registered_with_network_info_in_one_call(admin: Api) -> None:
    _, api = await create_customer(admin)
    dev_eui = new_dev_eui()
    device = await api.ok(
        "POST",
        "/devices",
        {
            "name": "d",
            "specification_id": "own-lora",
            "tags": {"site": "A"},
            "network_info": {
                "KPNLORA": {
                    "dev_eui": dev_eui,
                    "join_eui": "70B3D57ED0000000",
                    "app_key": "11" * 16,
                }
            },
        },
    )
    assert device["network_info"] == [
        {
            "network_type": "KPNLORA",
            "identifier": dev_eui,
            "attributes": {"join_eui": "70B3D57ED0000000"},
        }
    ]
    assert device["tags"] == {"site": "A"}
    info = await api.ok("GET", f"/devices/{device['id']}/network-info/KPNLORA")
    assert info["identifier"] == dev_eui


def _fresh_imei() -> str:
    body = f"{uuid.uuid4().int % 10**14:014d}"
    for check in range(10):
        candidate = body + str(check)
        digits = [int(c) for c in reversed(candidate)]
        total = sum(
            d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits)
        )
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")
