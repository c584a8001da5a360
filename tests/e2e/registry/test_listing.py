"""Cursor pagination, filters and sort on the collections."""

from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from tests.support.api import Api, create_customer

pytestmark = pytest.mark.e2e


async def _pages(api: Api, query: str) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        url = f"/projects?{query}" + (f"&cursor={cursor}" if cursor else "")
        page = await api.ok("GET", url)
        pages.append([p["name"] for p in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


async def test_pages_follow_each_other_without_gaps_or_repeats(admin: Api) -> None:
    _, api = await create_customer(admin)
    names = [f"p{i}" for i in range(7)]
    for name in names:
        await api.ok("POST", "/projects", {"name": name})
    assert await _pages(api, "limit=3") == [names[0:3], names[3:6], names[6:7]]
    assert await _pages(api, "limit=3&sort=-name") == [
        ["p6", "p5", "p4"],
        ["p3", "p2", "p1"],
        ["p0"],
    ]


async def test_filters_by_name_and_creation_time(admin: Api) -> None:
    _, api = await create_customer(admin)
    await api.ok("POST", "/projects", {"name": "Water meters"})
    middle = datetime.now(UTC).isoformat()
    await api.ok("POST", "/projects", {"name": "Gas meters"})
    await api.ok("POST", "/projects", {"name": "Parking 100%_x"})
    assert [p["name"] for p in (await api.ok("GET", "/projects?q=METER"))["items"]] == [
        "Water meters",
        "Gas meters",
    ]
    assert [p["name"] for p in (await api.ok("GET", "/projects?q=%25_"))["items"]] == [
        "Parking 100%_x"
    ]
    newer = await api.ok("GET", "/projects?" + urlencode({"created_since": middle}))
    assert [p["name"] for p in newer["items"]] == ["Gas meters", "Parking 100%_x"]


async def test_devices_filter_by_project_and_specification(admin: Api) -> None:
    _, api = await create_customer(admin)
    project = await api.ok("POST", "/projects", {"name": "p"})
    in_flow = await api.ok("POST", "/devices", {"name": "a", "specification_id": "own-lora"})
    await api.ok("POST", "/devices", {"name": "b", "specification_id": "generic-mqtt"})
    await api.ok(
        "POST", "/flows", {"project_id": project["id"], "name": "f", "device_ids": [in_flow["id"]]}
    )
    by_project = await api.ok("GET", f"/devices?project_id={project['id']}")
    assert [d["name"] for d in by_project["items"]] == ["a"]
    by_spec = await api.ok("GET", "/devices?specification_id=generic-mqtt")
    assert [d["name"] for d in by_spec["items"]] == ["b"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("cursor=garbage", "cursor"), ("sort=colour", "sort"), ("limit=0", "limit")],
)
async def test_bad_paging_parameter_is_422_naming_it(admin: Api, query: str, field: str) -> None:
    _, api = await create_customer(admin)
    resp = await api.call("GET", f"/projects?{query}")
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == field


async def test_cursor_of_another_sort_is_refused(admin: Api) -> None:
    _, api = await create_customer(admin)
    for i in range(3):
        await api.ok("POST", "/projects", {"name": f"p{i}"})
    cursor = (await api.ok("GET", "/projects?limit=1"))["next_cursor"]
    resp = await api.call("GET", f"/projects?limit=1&sort=name&cursor={cursor}")
    assert resp.status_code == 422
