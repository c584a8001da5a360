"""Bulk device import, JSON and CSV: a result per row; all-or-nothing commits all or none."""

import pytest

from tests.support.api import Api, create_customer, new_dev_eui

pytestmark = pytest.mark.e2e


def _lora(dev_eui: str) -> dict[str, object]:
    return {"KPNLORA": {"dev_eui": dev_eui, "join_eui": "70B3D57ED0000000", "app_key": "22" * 16}}


async def test_per_row_import_commits_valid_rows_and_reports_the_others(admin: Api) -> None:
    _, api = await create_customer(admin)
    taken = new_dev_eui()
    await api.ok(
        "POST",
        "/devices",
        {"name": "first", "specification_id": "own-lora", "network_info": _lora(taken)},
    )
    body = {
        "devices": [
            {"name": "ok", "specification_id": "own-lora", "network_info": _lora(new_dev_eui())},
            {"name": "bad spec", "specification_id": "toaster"},
            {"name": "dup", "specification_id": "own-lora", "network_info": _lora(taken)},
            {"name": "bad eui", "specification_id": "own-lora", "network_info": _lora("XYZ")},
        ]
    }
    resp = await api.call("POST", "/devices/import", body)
    assert resp.status_code == 200, resp.text
    result = resp.json()
    assert (result["committed"], result["created"], result["failed"]) == (True, 1, 3)
    assert [r["status"] for r in result["rows"]] == [201, 422, 409, 422]
    assert [r["errors"][0]["field"] for r in result["rows"][1:]] == [
        "specification_id",
        "row",
        "dev_eui",
    ]
    names = {d["name"] for d in (await api.ok("GET", "/devices"))["items"]}
    assert names == {"first", "ok"}


async def test_all_or_nothing_import_commits_nothing_when_a_row_fails(admin: Api) -> None:
    _, api = await create_customer(admin)
    body = {
        "mode": "all-or-nothing",
        "devices": [
            {"name": "ok", "specification_id": "own-lora", "network_info": _lora(new_dev_eui())},
            {"name": "bad", "specification_id": "own-lora", "network_info": _lora("12")},
        ],
    }
    resp = await api.call("POST", "/devices/import", body)
    assert resp.status_code == 422
    assert resp.json()["committed"] is False
    assert [r["status"] for r in resp.json()["rows"]] == [424, 422]
    assert (await api.ok("GET", "/devices"))["items"] == []


async def test_csv_import_creates_devices_with_network_info_and_tags(admin: Api) -> None:
    _, api = await create_customer(admin)
    eui = new_dev_eui()
    csv = (
        "name,specification_id,dev_eui,join_eui,app_key,tags\n"
        f"meter-1,own-lora,{eui},70B3D57ED0000000,{'33' * 16},site=A;floor=2\n"
        "meter-2,,,,,\n"
    )
    resp = await api.client.post(
        "/devices/import?mode=per-row",
        content=csv,
        headers={"Authorization": f"Bearer {api.token}", "Content-Type": "text/csv"},
    )
    assert resp.status_code == 200, resp.text
    rows = resp.json()["rows"]
    assert [r["status"] for r in rows] == [201, 422]
    assert rows[1]["errors"] == [{"field": "specification_id", "reason": "is required"}]
    device = await api.ok("GET", f"/devices/{rows[0]['device_id']}")
    assert device["tags"] == {"site": "A", "floor": "2"}
    assert device["network_info"][0]["identifier"] == eui


async def test_csv_with_unknown_column_is_refused_whole(admin: Api) -> None:
    _, api = await create_customer(admin)
    resp = await api.client.post(
        "/devices/import",
        content="name,specification_id,colour\nx,own-lora,red\n",
        headers={"Authorization": f"Bearer {api.token}", "Content-Type": "text/csv"},
    )
    assert resp.status_code == 422
    assert "colour" in resp.json()["detail"]
