"""Reads consumer lag from the cluster: the same requests Kafka's consumer-groups tool makes
(OffsetFetch, ListOffsets, DescribeGroups), plus one fetch per lagging partition for the age
of its oldest unconsumed record.

It never joins a consumer group and commits nothing, so measuring never disturbs what it
measures.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from senflow.cli.lag_report import GroupLag, PartitionLag, partition_lag

log = logging.getLogger(__name__)

PLATFORM_GROUP_PREFIX = "senflow-"


@dataclass(frozen=True)
class _Member:
    consumer_id: str
    client_id: str
    host: str


class LagProbe:
    """`start()`, then `measure()` as often as needed, then `stop()`."""

    def __init__(self, bootstrap: str, age_fetch_timeout_s: float = 5.0) -> None:
        self._bootstrap = bootstrap
        self._age_fetch_timeout_s = age_fetch_timeout_s
        self._admin: AIOKafkaAdminClient | None = None
        self._reader: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=self._bootstrap, client_id="senflow-lag"
        )
        self._reader = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=None,
            enable_auto_commit=False,
            client_id="senflow-lag",
            # Only the first record of each lagging partition is wanted.
            max_partition_fetch_bytes=64 * 1024,
            # A committed offset retention has deleted meanwhile is out of range: the first
            # record still kept is then the oldest waiting one. "latest" (aiokafka's
            # default) would jump to the end and find nothing.
            auto_offset_reset="earliest",
        )
        try:
            await self._admin.start()
            await self._reader.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        if self._reader is not None:
            await self._reader.stop()
            self._reader = None
        if self._admin is not None:
            await self._admin.close()
            self._admin = None

    async def groups(self, prefix: str | None = PLATFORM_GROUP_PREFIX) -> list[str]:
        """The cluster's consumer groups (those starting with `prefix`), sorted."""
        listed = await self._started_admin().list_consumer_groups()
        names = {str(entry[0]) for entry in listed}
        return sorted(n for n in names if prefix is None or n.startswith(prefix))

    async def measure(self, groups: Iterable[str]) -> list[GroupLag]:
        return [await self.measure_group(group) for group in groups]

    async def measure_group(self, group: str) -> GroupLag:
        """One group's lag; a group the broker does not know comes back `Dead`, without
        partitions."""
        admin = self._started_admin()
        state, member_count, members = await self._describe(group)
        # Committed first, then the ends: the order Kafka's tool reads them in.
        committed = {
            tp: meta.offset for tp, meta in (await admin.list_consumer_group_offsets(group)).items()
        }
        owned = set(members)
        tps = sorted(set(committed) | owned)
        reader = self._reader_started()
        ends = await reader.end_offsets(tps) if tps else {}
        starts = await reader.beginning_offsets(tps) if tps else {}
        # Where the oldest waiting record still kept is: past what retention deleted.
        waiting = {
            tp: max(committed[tp], starts.get(tp, 0))
            for tp in tps
            if committed.get(tp, -1) >= 0
            and ends.get(tp, 0) > max(committed[tp], starts.get(tp, 0))
        }
        oldest = await self._oldest_timestamps(waiting)
        now_ms = int(time.time() * 1000)
        partitions = []
        for tp in tps:
            numbers = partition_lag(
                tp.topic,
                tp.partition,
                committed.get(tp),
                starts.get(tp, 0),
                ends.get(tp, 0),
                oldest.get(tp),
                now_ms,
            )
            member = members.get(tp)
            if member is not None:
                numbers = PartitionLag(
                    **{
                        **numbers.__dict__,
                        "consumer_id": member.consumer_id,
                        "client_id": member.client_id,
                        "host": member.host,
                    }
                )
            partitions.append(numbers)
        return GroupLag(group, state, member_count, tuple(partitions))

    async def _describe(self, group: str) -> tuple[str, int, dict[TopicPartition, _Member]]:
        """The group's state, member count, and who owns which partition (from the
        members' assignments)."""
        responses = await self._started_admin().describe_consumer_groups([group])
        owners: dict[TopicPartition, _Member] = {}
        state, count = "Unknown", 0
        for response in responses:
            for described in response.to_object()["groups"]:
                if described["group"] != group:
                    continue
                state = described["state"] or "Unknown"
                count = len(described["members"])
                for member in described["members"]:
                    owners.update(_owned_partitions(member))
        return state, count, owners

    async def _oldest_timestamps(
        self, waiting: dict[TopicPartition, int]
    ) -> dict[TopicPartition, int]:
        """The timestamp of the first record kept at or after each offset."""
        if not waiting:
            return {}
        reader = self._reader_started()
        reader.assign(list(waiting))
        for tp, offset in waiting.items():
            reader.seek(tp, offset)
        found: dict[TopicPartition, int] = {}
        deadline = asyncio.get_running_loop().time() + self._age_fetch_timeout_s
        try:
            while len(found) < len(waiting):
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    log.warning("no record read for %d partitions", len(waiting) - len(found))
                    break
                batches = await reader.getmany(timeout_ms=int(min(left, 1.0) * 1000))
                for tp, records in batches.items():
                    if tp not in found and records:
                        found[tp] = records[0].timestamp
                        reader.pause(tp)
        finally:
            with contextlib.suppress(Exception):
                reader.assign([])
        return found

    def _started_admin(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            raise RuntimeError("LagProbe.start() first")
        return self._admin

    def _reader_started(self) -> AIOKafkaConsumer:
        if self._reader is None:
            raise RuntimeError("LagProbe.start() first")
        return self._reader


def _owned_partitions(member: dict[str, Any]) -> dict[TopicPartition, _Member]:
    raw = member.get("member_assignment") or b""
    if not raw:
        return {}
    who = _Member(member["member_id"], member["client_id"], member["client_host"])
    try:
        assignment = ConsumerProtocolMemberAssignment.decode(raw)
    except Exception:  # noqa: BLE001  another protocol's assignment (e.g. Connect): no owner
        return {}
    return {tp: who for tp in assignment.partitions()}
