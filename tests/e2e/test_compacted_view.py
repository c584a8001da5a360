"""The compacted-topic view that the router and dispatcher route by."""

import time

import pytest

from senflow.common import topics
from senflow.common.compacted_view import CompactedTopicView
from tests.support.api import Api, create_customer, wait_outbox_drained
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e


async def test_view_refuses_and_is_unready_when_it_stops_following(
    platform: Platform, admin: Api
) -> None:
    for _ in range(2):
        await create_customer(admin)
    await wait_outbox_drained(platform.database_url)
    applied: list[bytes | None] = []

    def apply(_topic: str, key: bytes | None, _value: bytes | None) -> None:
        if applied:
            raise RuntimeError("a bug in the view")
        applied.append(key)

    view = CompactedTopicView(platform.kafka_bootstrap, (topics.REGISTRY_CUSTOMERS,), apply)
    try:
        with pytest.raises(RuntimeError, match="stopped following"):
            await view.start(load_timeout_s=30)
        assert not view.loaded
        with pytest.raises(RuntimeError, match="stopped following"):
            await view.catch_up(time.time())
    finally:
        await view.stop()


async def test_view_applies_every_record_before_start_returns(
    platform: Platform, admin: Api
) -> None:
    customer_id, _ = await create_customer(admin)
    await wait_outbox_drained(platform.database_url)
    keys: set[bytes] = set()
    view = CompactedTopicView(
        platform.kafka_bootstrap, (topics.REGISTRY_CUSTOMERS,), lambda _t, k, _v: keys.add(k or b"")
    )
    try:
        await view.start(load_timeout_s=30)
        assert view.loaded
        assert customer_id.encode() in keys
    finally:
        await view.stop()


async def test_catch_up_returns_once_a_record_published_before_it_is_applied(
    platform: Platform, admin: Api
) -> None:
    keys: set[bytes] = set()
    view = CompactedTopicView(
        platform.kafka_bootstrap, (topics.REGISTRY_CUSTOMERS,), lambda _t, k, _v: keys.add(k or b"")
    )
    try:
        await view.start(load_timeout_s=30)
        customer_id, _ = await create_customer(admin)
        await wait_outbox_drained(platform.database_url)  # on Kafka now
        await view.catch_up(time.time(), timeout_s=5)
        assert customer_id.encode() in keys
    finally:
        await view.stop()


async def test_catch_up_to_a_time_ahead_of_the_clock_waits_only_until_now(
    platform: Platform,
) -> None:
    # A producer whose clock runs an hour ahead must not make a consumer wait an hour.
    view = CompactedTopicView(platform.kafka_bootstrap, (topics.REGISTRY_CUSTOMERS,), noop)
    try:
        await view.start(load_timeout_s=30)
        await view.catch_up(time.time() + 3600, timeout_s=5)
        await view.catch_up(None, timeout_s=5)
    finally:
        await view.stop()


def noop(_topic: str, _key: bytes | None, _value: bytes | None) -> None:
    pass
