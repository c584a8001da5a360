"""The registry API, as far as the simulator needs it: customers and keys (admin), device
import and listing, flow membership. One aiohttp session for the whole run."""

import json
from collections.abc import Callable
from typing import Any

import aiohttp

from senflow.cli.simulate_errors import RegistryRefused, TargetUnreachable

REQUEST_TIMEOUT_S = 60.0  # an import of 10,000 devices takes a few seconds
PAGE_LIMIT = 500  # the API's largest page


def is_customer_key(token: str) -> bool:
    """Customer API keys look like `sfk_<prefix>_<secret>`; anything else is taken for the
    admin token, which manages customers but cannot own devices."""
    return token.startswith("sfk_")


class RegistryClient:
    def __init__(self, session: aiohttp.ClientSession, api_url: str, token: str) -> None:
        self._session = session
        self._api_url = api_url.rstrip("/")
        self.token = token

    def as_customer(self, key: str) -> "RegistryClient":
        """The same API and session, with a customer's API key."""
        return RegistryClient(self._session, self._api_url, key)

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201, 204),
    ) -> Any:
        """The JSON answer; `RegistryRefused` with the problem's detail for another status,
        `TargetUnreachable` when the API does not answer."""
        try:
            async with self._session.request(
                method,
                self._api_url + path,
                json=body,
                params=params,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
            ) as resp:
                raw = await resp.read()
                status = resp.status
        except aiohttp.InvalidURL as err:
            raise TargetUnreachable(f"{self._api_url} is no valid URL (SENFLOW_API_URL?)") from err
        except (aiohttp.ClientConnectionError, TimeoutError) as err:
            raise TargetUnreachable(f"the registry API at {self._api_url} did not answer") from err
        try:
            data = json.loads(raw) if raw else None
        except ValueError as err:
            raise RegistryRefused(f"{method} {path}: {status}, no JSON answer", status) from err
        if status not in ok:
            raise RegistryRefused(f"{method} {path}: {status} {_problem(data)}", status)
        return data

    async def create_customer_key(self, name: str) -> tuple[str, str]:
        """(Admin) a new customer and a read/write API key for it: (customer id, key)."""
        customer = await self.call("POST", "/customers", {"name": name})
        key = await self.call(
            "POST", "/api-keys", {"customer_id": customer["id"], "scopes": ["read", "write"]}
        )
        return str(customer["id"]), str(key["key"])

    async def import_devices(self, devices: list[dict[str, Any]]) -> list[str]:
        """Register the devices (all or nothing); their ids, in order."""
        answer = await self.call(
            "POST",
            "/devices/import",
            {"mode": "all-or-nothing", "devices": devices},
            ok=(200, 422),
        )
        if not isinstance(answer, dict) or "rows" not in answer:
            raise RegistryRefused(f"POST /devices/import: {_problem(answer)}", 422)
        if not answer["committed"]:
            failed = [r for r in answer["rows"] if r["status"] != 424]
            first = failed[0] if failed else answer["rows"][0]
            raise RegistryRefused(
                f"device import refused: row {first['row']}: {first['status']} {first['errors']}",
                int(first["status"]),
            )
        return [str(r["device_id"]) for r in answer["rows"]]

    async def add_to_flow(self, flow_id: str, device_ids: list[str]) -> int:
        """Add devices to a flow; the flow's new version."""
        flow = await self.call("POST", f"/flows/{flow_id}/devices", {"add": device_ids})
        return int(flow["version"])

    async def list_devices(
        self,
        name_contains: str,
        project_id: str | None,
        keep: Callable[[dict[str, Any]], bool],
        at_most: int,
    ) -> list[dict[str, Any]]:
        """Up to `at_most` of the customer's devices (oldest first) whose name contains the
        text, in one of the project's flows if given, that `keep` keeps."""
        params = {"q": name_contains, "sort": "created_at", "limit": str(PAGE_LIMIT)}
        if project_id:
            params["project_id"] = project_id
        found: list[dict[str, Any]] = []
        while len(found) < at_most:
            page = await self.call("GET", "/devices", params=params)
            found.extend(d for d in page["items"] if keep(d))
            if not page["next_cursor"]:
                break
            params["cursor"] = page["next_cursor"]
        return found[:at_most]


def _problem(data: Any) -> str:
    if isinstance(data, dict):
        detail = data.get("detail") or data.get("title") or ""
        errors = data.get("errors")
        return f"{detail} {errors}" if errors else str(detail)
    return str(data)[:200]
