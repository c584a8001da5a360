"""Where the downlinks destinations ask for go: the `DownlinkRequester` port, and its Kafka
adapter that publishes each `DownlinkRequest` for the registry, which creates the
downlink (id = the request's, so a request published twice creates one)."""

import asyncio
from typing import Protocol

from aiokafka import AIOKafkaProducer

from senflow.common import topics
from senflow.common.downlinks import DownlinkRequest
from senflow.common.serde import dumps


class DownlinkRequester(Protocol):
    async def request(self, request: DownlinkRequest) -> None:
        """Returns once the request is safely on its way; raises when it is not."""
        ...


class KafkaDownlinkRequester:
    """On `senflow.downlinks.requests.v1`, key = device id (one device's requests in
    order), with the dispatcher's own producer (acks=all, idempotent; started and stopped
    by its owner). Waits at most `timeout_s` for the cluster's acknowledgement; a timeout
    does not unsend, so a request may still arrive after the caller gave up on it."""

    def __init__(self, producer: AIOKafkaProducer, timeout_s: float) -> None:
        self._producer = producer
        self._timeout_s = timeout_s

    async def request(self, request: DownlinkRequest) -> None:
        async with asyncio.timeout(self._timeout_s):
            await self._producer.send_and_wait(
                topics.DOWNLINK_REQUESTS, key=request.device_id.encode(), value=dumps(request)
            )
