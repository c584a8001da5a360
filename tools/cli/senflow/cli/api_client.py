"""A small client of the registry's management API, shared by the CLI's commands.

One `aiohttp` session per command run (`async with RegistryClient(...)`, or one the
caller owns), a bearer token on every request, JSON in and out. An error answer becomes
an `ApiError` carrying the API's own reason (its RFC 9457 problem: title, detail, invalid
fields) and the decoded answer, so a command can print why instead of a status code; a
registry that cannot be reached becomes an `ApiUnreachable`. Nothing here prints or
exits: the commands decide how to tell the user.
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


class ApiUrlInvalid(ApiUnreachable):
    """The registry API's URL (SENFLOW_API_URL) is no URL a request can be sent to."""

    retriable = False


class ApiError(SenflowError):
    """The registry API answered with an error status; `detail` is its own reason, `body`
    the decoded answer (None when it was empty or no JSON)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        retry_after_s: int | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.retry_after_s = retry_after_s
        self.body = body
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
        return ApiError(status, title, detail, fields, retry_after_s, problem)
    excerpt = body[:300].decode("utf-8", "replace").strip() or "(no body)"
    return ApiError(status, "Error", excerpt, None, retry_after_s, problem)


class RegistryClient:
    """The registry API at `base_url`, as the holder of `token` (a customer's API key, or
    the admin token). Use it as an async context manager, which opens a session and closes
    it after; given a `session`, it uses that one and leaves closing it to its owner. It is
    not safe to share across event loops. Requests are not retried: every call here is
    either a read, a replay the user asked for (sent twice, it would be refused with 409 the
    second time), or a creation a retry could make twice."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._timeout_s = timeout_s
        self._session = session
        self._owns_session = session is None

    @classmethod
    def from_settings(cls, settings: CliSettings) -> "RegistryClient":
        token = settings.api_token.get_secret_value() if settings.api_token else None
        return cls(settings.api_url, token)

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def token(self) -> str | None:
        return self._token

    def as_customer(self, key: str) -> "RegistryClient":
        """The same API, session and timeout, with a customer's API key. The new client
        borrows the session: it must not outlive this one (or the session's owner)."""
        return RegistryClient(self._base_url, key, self._timeout_s, self._open_session())

    async def __aenter__(self) -> "RegistryClient":
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Idempotent. Closes the session only if this client opened it."""
        session, self._session = self._session, None
        if session is not None and self._owns_session:
            await session.close()

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
        5xx answer, `ApiUnreachable` when no answer came within the timeout."""
        session = self._open_session()
        url = self._base_url + path
        try:
            async with session.request(
                method,
                url,
                params=query(params),
                json=body,
                headers=self._headers(),
                timeout=aiohttp.ClientTimeout(total=self._timeout_s),
            ) as resp:
                raw = await resp.read()
                status, retry_after = resp.status, resp.headers.get("Retry-After")
        except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as err:
            raise ApiUrlInvalid(f"{url} is no valid URL (SENFLOW_API_URL?)") from err
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

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("RegistryClient used outside `async with`, or after close()")
        return self._session

    def _headers(self) -> dict[str, str]:
        # Per request, not on the session: clients of several tokens share one session.
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers


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
