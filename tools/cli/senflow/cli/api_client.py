"""A small client of the registry's management API, shared by the CLI's commands.

One `aiohttp` session per command run (`async with RegistryClient(...)`), a bearer token
on every request, JSON in and out. An error answer becomes an `ApiError` carrying the
API's own reason (its RFC 9457 problem: title, detail, invalid fields), so a command can
print why instead of a status code; a registry that cannot be reached becomes an
`ApiUnreachable`. Nothing here prints or exits: the commands decide how to tell the user.
"""

import json
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import aiohttp

from senflow.cli.settings import CliSettings
from senflow.common.errors import SenflowError

QueryValue = str | int | float | bool | None

# A registry API answers within a second or two; anything slower is an outage to report.
DEFAULT_TIMEOUT_S = 30.0


class ApiUnreachable(SenflowError):
    """The registry API did not answer: refused, unresolvable, timed out or cut off."""

    retriable = True


class ApiError(SenflowError):
    """The registry API answered with an error status; `detail` is its own reason."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        retry_after_s: int | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.retry_after_s = retry_after_s
        self.retriable = status in (408, 425, 429) or status >= 500

    def describe(self) -> str:
        """One line for the user: status, title, detail, and each invalid field's reason."""
        text = f"{self.status} {self.title}"
        if self.detail and self.detail != self.title:
            text += f": {self.detail}"
        for error in self.errors:
            text += f"\n  {error.get('field', '?')}: {error.get('reason', '?')}"
        if self.retry_after_s is not None:
            text += f"\n  (try again in {self.retry_after_s} s)"
        return text


def problem_error(status: int, body: bytes, retry_after: str | None) -> ApiError:
    """An `ApiError` from an error answer: a problem+json body where there is one, else the
    first few hundred characters of whatever came (a proxy's HTML page, say)."""
    retry_after_s = int(retry_after) if retry_after and retry_after.isdigit() else None
    try:
        problem = json.loads(body)
    except ValueError:
        problem = None
    if isinstance(problem, dict):
        title = str(problem.get("title") or "Error")
        detail = str(problem.get("detail") or title)
        errors = problem.get("errors")
        fields = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
        return ApiError(status, title, detail, fields, retry_after_s)
    excerpt = body[:300].decode("utf-8", "replace").strip() or "(no body)"
    return ApiError(status, "Error", excerpt, None, retry_after_s)


class RegistryClient:
    """The registry API at `base_url`, as the holder of `token` (a customer's API key, or
    the admin token). Use it as an async context manager; it is not safe to share across
    event loops. Requests are not retried: every call here is either a read or a replay
    the user asked for, and a replay sent twice would be refused (409) the second time."""

    def __init__(
        self, base_url: str, token: str | None, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_settings(cls, settings: CliSettings) -> "RegistryClient":
        token = settings.api_token.get_secret_value() if settings.api_token else None
        return cls(settings.api_url, token)

    @property
    def base_url(self) -> str:
        return self._base_url

    async def __aenter__(self) -> "RegistryClient":
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        self._session = aiohttp.ClientSession(headers=headers, timeout=self._timeout)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Idempotent."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get(self, path: str, params: Mapping[str, QueryValue] | None = None) -> Any:
        return await self.request("GET", path, params=params)

    async def post(
        self, path: str, body: Any = None, params: Mapping[str, QueryValue] | None = None
    ) -> Any:
        return await self.request("POST", path, params=params, body=body)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, QueryValue] | None = None,
        body: Any = None,
    ) -> Any:
        """The decoded JSON answer (None for an empty one). Raises `ApiError` for a 4xx or
        5xx answer, `ApiUnreachable` when no answer came."""
        if self._session is None:
            raise RuntimeError("RegistryClient used outside `async with`")
        url = self._base_url + path
        try:
            async with self._session.request(method, url, params=query(params), json=body) as resp:
                raw = await resp.read()
                status, retry_after = resp.status, resp.headers.get("Retry-After")
        except aiohttp.InvalidURL as err:
            raise ApiUnreachable(f"{url} is no valid URL (SENFLOW_API_URL?)") from err
        except (aiohttp.ClientConnectionError, TimeoutError) as err:
            raise ApiUnreachable(f"{method} {url}: {describe_connection_error(err)}") from err
        if status >= 400:
            raise problem_error(status, raw, retry_after)
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as err:
            raise ApiError(status, "Unexpected answer", f"{url} answered no JSON") from err


def query(params: Mapping[str, QueryValue] | None) -> dict[str, str]:
    """Query parameters as the API reads them: `None` left out, booleans as true/false."""
    if not params:
        return {}
    encoded = {}
    for name, value in params.items():
        if value is None:
            continue
        encoded[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return encoded


def describe_connection_error(err: BaseException) -> str:
    if isinstance(err, TimeoutError):
        return "no answer in time"
    return str(err) or type(err).__name__
