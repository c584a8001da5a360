"""HTTPS webhooks, signed the way KPN Things receivers expect, plus an HMAC of our own.

Headers on every attempt:
- `Things-Plug-UUID`: the destination id.
- `Things-Message-Token`: hex sha256(exact body bytes + shared secret).
- `Senflow-Message-Id`: the uplink's id, the same from ingest to every destination.
- `Senflow-Delivery-Id`: this pack for this destination; stable across attempts, replays
  and crashes: deduplicate on it.
- `Senflow-Attempt`: 1 for the first attempt, 2 for the first retry, ...
- `Senflow-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`;
  receivers that check `t` against their clock can refuse replayed requests.
- `Authorization` (Basic or Bearer) or the API key's header, as the destination's `auth`
  says, with its credential (sealed apart from the shared secret).

The body is the SenML JSON, or what the destination's format script makes of it; the
token and the signature are computed over the bytes sent. Headers are layered: static
ones, then authentication, then Senflow's own (see `https_auth.layered`).

An accepted answer may carry a downlink command for the delivery's device, signed with the
same secret (see `answer_downlinks`): with a `DownlinkRequester`, it is read once the
delivery counts as accepted and forwarded; whatever it holds, the delivery succeeded.
"""

from datetime import UTC, datetime

import aiohttp
from multidict import CIMultiDictProxy

from senflow.common.deliveries import Delivery
from senflow.common.events import DestinationSnapshot
from senflow.dispatcher.answer_downlinks import Answer
from senflow.dispatcher.downlink_requests import DownlinkRequester
from senflow.dispatcher.egress import EgressBlocked, EgressPolicy
from senflow.dispatcher.errors import DeliveryFailed, EgressRefused
from senflow.dispatcher.sinks.https_answers import forward_command, read_answer
from senflow.dispatcher.sinks.https_auth import layered
from senflow.dispatcher.sinks.https_target import HttpsTargets
from senflow.dispatcher.sinks.payload import Bodies, https_headers


class HttpsSink:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        secrets_key: bytes,
        egress: EgressPolicy,
        timeout_s: float,
        excerpt_bytes: int,
        bodies: Bodies | None = None,
        downlinks: DownlinkRequester | None = None,
    ) -> None:
        """`downlinks`: where the commands in destinations' answers go; None: answers are
        not read for commands."""
        self._session = session
        self._targets = HttpsTargets(secrets_key, timeout_s)
        self._egress = egress
        self._excerpt_bytes = excerpt_bytes
        self._bodies = bodies or Bodies()
        self._downlinks = downlinks

    async def deliver(
        self, delivery: Delivery, destination: DestinationSnapshot, attempt: int
    ) -> None:
        target = self._targets.of(destination)  # the secrets, opened once per version
        cfg = target.config
        await self._egress.check(target.host, target.port)
        body = await self._bodies.of(delivery, destination)
        own = https_headers(
            delivery,
            destination.id,
            body.data,
            target.secret,
            attempt,
            content_type=body.content_type,
        )
        headers = layered(target.headers, own)
        timeout = target.timeout
        answer: Answer | None = None
        try:
            async with self._session.request(
                cfg.method,
                cfg.url,
                data=body.data,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
            ) as resp:
                raw = await resp.content.read(self._excerpt_bytes)  # never the whole body
                self._judge(
                    resp.status, cfg.expected_status, raw.decode("utf-8", "replace"), resp.headers
                )
                if self._downlinks is not None:  # accepted: its answer may ask for a downlink
                    answer = await read_answer(resp, raw)
        except TimeoutError as err:
            detail = f"no answer within {timeout.total}s"
            raise DeliveryFailed("timeout", detail, retriable=True) from err
        except aiohttp.ClientConnectionError as err:
            if isinstance(getattr(err, "os_error", None), EgressBlocked):
                raise EgressRefused(str(err.os_error)) from err  # type: ignore[attr-defined]
            detail = str(err) or type(err).__name__
            raise DeliveryFailed("connection-failed", detail, retriable=True) from err
        except aiohttp.ClientError as err:  # a malformed answer: status line, chunking, …
            detail = str(err) or type(err).__name__
            raise DeliveryFailed("bad-response", detail, retriable=True) from err
        if answer is not None and self._downlinks is not None:
            await forward_command(
                answer, delivery, target.secret, self._downlinks, datetime.now(UTC)
            )

    @staticmethod
    def _judge(
        status: int, expected: int | None, excerpt: str, headers: CIMultiDictProxy[str]
    ) -> None:
        if status == expected or (expected is None and 200 <= status < 300):
            return
        raise DeliveryFailed(
            "http-status",
            f"answered {status}" + (f", expected {expected}" if expected else ""),
            retriable=is_retriable(status),
            status_code=status,
            excerpt=excerpt,
            retry_after_s=_retry_after(headers) if status in (429, 503) else None,
        )


def is_retriable(status: int) -> bool:
    """5xx and the 4xx codes that mean "later" are retried; other answers will not change
    by asking again (400, 401, 403, 404, 413, redirects, ...) and go to the dead letters."""
    return status >= 500 or status in (408, 425, 429)


def _retry_after(headers: CIMultiDictProxy[str]) -> float | None:
    value = headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP-date: fall back to our own backoff
