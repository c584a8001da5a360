"""A downlink command in an HTTPS destination's answer: read from an accepted answer (at
most `MAX_ANSWER_BYTES` + 1 bytes), judged by `answer_downlinks`, and handed to the
`DownlinkRequester` port.

Never a failure of the delivery, which the destination has accepted already: an answer
that cannot be read, a refused command or a request Kafka does not take is counted
(`senflow_dispatcher_answer_downlinks_total{result}`) and logged as a warning with the
ids and the reason, never with what the body holds.
"""

import logging
from datetime import datetime

import aiohttp

from senflow.common.deliveries import Delivery
from senflow.common.message_token import TOKEN_HEADER
from senflow.dispatcher import metrics
from senflow.dispatcher.answer_downlinks import (
    CONFIRMED_HEADER,
    MAX_ANSWER_BYTES,
    TTL_HEADER,
    Answer,
    Refused,
    command_of,
    downlink_request,
    offers_command,
)
from senflow.dispatcher.downlink_requests import DownlinkRequester

log = logging.getLogger(__name__)

REQUESTED = "requested"
NOT_PUBLISHED = "not-published"


async def read_answer(resp: aiohttp.ClientResponse, head: bytes) -> Answer | None:
    """The answer, when it offers a command (None otherwise); `head`: what was read of its
    body already. Reading stops one byte past the limit, and never raises."""
    if not offers_command(resp.status, resp.headers.get("Content-Type")):
        return None
    body, unreadable = head[: MAX_ANSWER_BYTES + 1], None
    try:
        while len(body) <= MAX_ANSWER_BYTES:
            chunk = await resp.content.read(MAX_ANSWER_BYTES + 1 - len(body))
            if not chunk:
                break
            body += chunk
    except (TimeoutError, aiohttp.ClientError) as err:
        unreadable = f"the body could not be read: {type(err).__name__}"
    return Answer(
        body=body,
        token=resp.headers.get(TOKEN_HEADER),
        ttl=resp.headers.get(TTL_HEADER),
        confirmed=resp.headers.get(CONFIRMED_HEADER),
        declared_length=resp.content_length,
        unreadable=unreadable,
    )


async def forward_command(
    answer: Answer,
    delivery: Delivery,
    secret: str,
    requester: DownlinkRequester,
    now: datetime,
) -> None:
    """Ask for the downlink the answer commands, if it proves to come from the owner of
    the destination's secret; else count and log why not."""
    found = command_of(answer, secret)
    if found is None:
        return
    ids = {
        "message_id": delivery.message_id,
        "device_id": delivery.device_id,
        "destination_id": delivery.destination_id,
    }
    if isinstance(found, Refused):
        metrics.ANSWER_DOWNLINKS.labels(found.reason).inc()
        log.warning(
            "downlink command in the answer to delivery %s refused (%s): %s",
            delivery.delivery_id,
            found.reason,
            found.detail,
            extra=ids,
        )
        return
    request = downlink_request(delivery, found, now)
    ids["downlink_id"] = request.request_id
    try:
        await requester.request(request)
    except Exception as err:  # noqa: BLE001 - the delivery stays delivered, whatever this does
        metrics.ANSWER_DOWNLINKS.labels(NOT_PUBLISHED).inc()
        log.warning(
            "downlink %s, asked for in the answer to delivery %s, not published: %r",
            request.request_id,
            delivery.delivery_id,
            err,
            extra=ids,
        )
        return
    metrics.ANSWER_DOWNLINKS.labels(REQUESTED).inc()
    log.info(
        "downlink %s requested by the answer to delivery %s",
        request.request_id,
        delivery.delivery_id,
        extra=ids,
    )
