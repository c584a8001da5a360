"""The registry API, as far as the simulator needs it: customers and keys (admin), device
import and listing, flow membership. Requests go through the CLI's one client of the API
(`api_client.RegistryClient`); its errors come out as the simulator's, so `senflow
simulate` exits 3 with one line when the registry refuses or does not answer."""

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from senflow.cli.api_client import ApiError, ApiUnreachable, ApiUrlInvalid, RegistryClient
from senflow.cli.simulate_errors import RegistryRefused, TargetUnreachable

# For the client the simulator is given: the all-or-nothing import of 10,000 devices is
# the slowest call, far slower than the API's other answers.
REQUEST_TIMEOUT_S = 60.0
PAGE_LIMIT = 500  # the API's largest page
IMPORT_PATH = "/devices/import"


def is_customer_key(token: str) -> bool:
    """Customer API keys look like `sfk_<prefix>_<secret>`; anything else is taken for the
    admin token, which manages customers but cannot own devices."""
    return token.startswith("sfk_")


class SimulatorRegistry:
    """The simulator's calls, as the holder of the client's token."""

    def __init__(self, api: RegistryClient) -> None:
        self._api = api
        # No token (an empty one) is no customer key: the API refuses the admin's calls.
        self._token = api.token or ""

    @property
    def token(self) -> str:
        return self._token

    def as_customer(self, key: str) -> "SimulatorRegistry":
        """The same API and session, with a customer's API key."""
        return SimulatorRegistry(self._api.as_customer(key))

    async def create_customer_key(self, name: str) -> tuple[str, str]:
        """(Admin) a new customer and a read/write API key for it: (customer id, key)."""
        customer = await self.request("POST", "/customers", {"name": name})
        key = await self.request(
            "POST", "/api-keys", {"customer_id": customer["id"], "scopes": ["read", "write"]}
        )
        return str(customer["id"]), str(key["key"])

    async def get_flow(self, flow_id: str) -> dict[str, Any]:
        """The flow; `RegistryRefused` (404) when the key's customer has no such flow."""
        flow: dict[str, Any] = await self.request("GET", f"/flows/{flow_id}")
        return flow

    async def import_devices(self, devices: list[dict[str, Any]]) -> list[str]:
        """Register the devices (all or nothing); their ids, in order."""
        body = {"mode": "all-or-nothing", "devices": devices}
        with self._translated("POST", IMPORT_PATH):
            try:
                answer = await self._api.post(IMPORT_PATH, body)
            except ApiError as err:
                # A refused import answers 422 with every row's outcome.
                if err.status != 422 or err.body is None:
                    raise
                answer = err.body
        if not isinstance(answer, dict) or "rows" not in answer:
            raise RegistryRefused(f"POST {IMPORT_PATH}: {_problem(answer)}", 422)
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
        flow = await self.request("POST", f"/flows/{flow_id}/devices", {"add": device_ids})
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
            page = await self.request("GET", "/devices", params=params)
            found.extend(d for d in page["items"] if keep(d))
            if not page["next_cursor"]:
                break
            params["cursor"] = page["next_cursor"]
        return found[:at_most]

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        """Any other call (the demo makes its own): the decoded answer; `RegistryRefused`
        for an error answer, `TargetUnreachable` when the API does not answer."""
        with self._translated(method, path):
            return await self._api.request(method, path, params=params, body=body)

    @contextlib.contextmanager
    def _translated(self, method: str, path: str) -> Iterator[None]:
        base_url = self._api.base_url
        try:
            yield
        except ApiUrlInvalid as err:
            raise TargetUnreachable(f"{base_url} is no valid URL (SENFLOW_API_URL?)") from err
        except ApiUnreachable as err:
            raise TargetUnreachable(f"the registry API at {base_url} did not answer") from err
        except ApiError as err:
            raise RegistryRefused(_refusal(method, path, err), err.status) from err


def _refusal(method: str, path: str, err: ApiError) -> str:
    if err.body is None:
        return f"{method} {path}: {err.status}, no JSON answer"
    return f"{method} {path}: {err.status} {_problem(err.body)}"


def _problem(data: Any) -> str:
    if isinstance(data, dict):
        detail = data.get("detail") or data.get("title") or ""
        errors = data.get("errors")
        return f"{detail} {errors}" if errors else str(detail)
    return str(data)[:200]
