"""`senflow lag` and the lag exporter agree with Kafka's own consumer-groups tool on the same
cluster at the same moment, and the time lag is the age of the oldest waiting record."""

import asyncio
import json
import os
import secrets
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka.structs import OffsetAndMetadata
from prometheus_client.parser import text_string_to_metric_families

from tests.support.infra import ROOT
from tests.support.kafka import create_topic
from tests.support.platform import Platform
from tests.support.processes import BIN, ServiceProcess, free_port

GROUP_TOOL = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"
AGE_S = 300  # how old the first waiting record of partition 0 is made to be

Row = tuple[str, int, int | None, int, int | None, str | None]


def kafka_tool(bootstrap: str, group: str) -> set[Row]:
    """(topic, partition, current, end, lag, consumer id) rows of `--describe --group`."""
    out = subprocess.run(
        [
            str(ROOT / "scripts" / "kafka.sh"),
            "tool",
            GROUP_TOOL,
            "--bootstrap-server",
            bootstrap,
            "--describe",
            "--group",
            group,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    rows: set[Row] = set()
    for line in out.splitlines():
        cols = line.split()
        if len(cols) < 9 or cols[0] != group:
            continue
        _, topic, part, current, end, lag, consumer, *_ = cols
        rows.add(
            (
                topic,
                int(part),
                _num(current),
                int(end),
                _num(lag),
                None if consumer == "-" else consumer,
            )
        )
    return rows


def senflow_lag(bootstrap: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "senflow"), "lag", *args],
        env={**os.environ, "SENFLOW_KAFKA_BOOTSTRAP": bootstrap},
        capture_output=True,
        text=True,
        timeout=60,
    )


def senflow_rows(bootstrap: str, group: str) -> tuple[set[Row], dict[str, Any]]:
    result = senflow_lag(bootstrap, "--group", group, "--json")
    assert result.returncode == 0, result.stderr
    (described,) = json.loads(result.stdout)
    rows = {
        (p["topic"], p["partition"], p["committed"], p["end"], p["lag"], p["consumer_id"])
        for p in described["partitions"]
    }
    return rows, described


def _num(text: str) -> int | None:
    return None if text == "-" else int(text)


@pytest.fixture
async def lagging_group(kafka_bootstrap: str) -> AsyncIterator[tuple[str, str]]:
    """A topic of 3 partitions (30/20/10 records) and a group that committed 10 on
    partition 0 (lag 20, its first waiting record AGE_S old), 20 on partition 1 (lag 0) and
    nothing on partition 2."""
    run = secrets.token_hex(4)
    topic, group = f"lag-test-{run}", f"senflow-lag-test-{run}"
    await create_topic(kafka_bootstrap, topic, partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    old = int(time.time() * 1000) - AGE_S * 1000
    try:
        for partition, count in ((0, 30), (1, 20), (2, 10)):
            for i in range(count):
                await producer.send_and_wait(
                    topic, b"x", partition=partition, timestamp_ms=old + i * 1000
                )
    finally:
        await producer.stop()
    await commit(
        kafka_bootstrap, group, {TopicPartition(topic, 0): 10, TopicPartition(topic, 1): 20}
    )
    yield topic, group


async def produce_old(bootstrap: str, topic: str, counts: dict[int, int]) -> None:
    """`counts[p]` records on partition p, record i stamped AGE_S − i seconds ago."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    old = int(time.time() * 1000) - AGE_S * 1000
    try:
        for partition, count in counts.items():
            for i in range(count):
                await producer.send_and_wait(
                    topic, b"x", partition=partition, timestamp_ms=old + i * 1000
                )
    finally:
        await producer.stop()


async def commit(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    """Commit `offsets` for `group` as a member that then leaves (the group stays Empty)."""
    committer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await committer.start()
    try:
        committer.assign(list(offsets))
        await committer.commit({tp: OffsetAndMetadata(o, "") for tp, o in offsets.items()})
    finally:
        await committer.stop()


def lag_exporter(bootstrap: str, port: int, group_prefix: str) -> ServiceProcess:
    logs = ROOT / ".senflow" / "test" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return ServiceProcess(
        "lag-exporter",
        ["senflow-lag-exporter"],
        {
            "SENFLOW_KAFKA_BOOTSTRAP": bootstrap,
            "LAG_EXPORTER_PORT": str(port),
            "LAG_EXPORTER_GROUP_PREFIX": group_prefix,
            "LAG_EXPORTER_INTERVAL_S": "1",
        },
        f"http://127.0.0.1:{port}/readyz",
        logs / "lag-exporter.log",
    )


async def test_numbers_match_kafkas_tool_and_age_is_the_oldest_waiting_record(
    kafka_bootstrap: str, lagging_group: tuple[str, str]
) -> None:
    topic, group = lagging_group
    ours, described = await asyncio.to_thread(senflow_rows, kafka_bootstrap, group)
    theirs = await asyncio.to_thread(kafka_tool, kafka_bootstrap, group)

    assert ours == theirs
    assert ours == {(topic, 0, 10, 30, 20, None), (topic, 1, 20, 20, 0, None)}
    assert described["state"] == "Empty" and described["total_lag"] == 20
    by_partition = {p["partition"]: p for p in described["partitions"]}
    # Record 10 of partition 0 was stamped AGE_S − 10 s ago.
    assert AGE_S - 10 - 15 <= by_partition[0]["age_s"] <= AGE_S - 10 + 15
    assert by_partition[1]["age_s"] == 0


async def test_thresholds_set_the_exit_code(
    kafka_bootstrap: str, lagging_group: tuple[str, str]
) -> None:
    _, group = lagging_group

    def code(*args: str) -> int:
        return senflow_lag(kafka_bootstrap, "--group", group, *args).returncode

    assert await asyncio.to_thread(code, "--max-lag", "20") == 0
    over = await asyncio.to_thread(
        senflow_lag, kafka_bootstrap, "--group", group, "--max-lag", "19"
    )
    assert over.returncode == 1 and "lag 20 > 19" in over.stderr
    assert await asyncio.to_thread(code, "--max-age", str(AGE_S)) == 0
    assert await asyncio.to_thread(code, "--max-age", "60") == 1


async def test_records_retention_deleted_are_lost_and_age_is_that_of_the_first_kept(
    kafka_bootstrap: str,
) -> None:
    """A group behind the log start (retention, here DeleteRecords, removed records it
    never read): the lag is still the tool's, the lost records show, and the age is that
    of the first record still kept, not unknown (a reader resetting to "latest" finds
    nothing there)."""
    run = secrets.token_hex(4)
    topic, group = f"lag-lost-{run}", f"senflow-lag-lost-{run}"
    await create_topic(kafka_bootstrap, topic, partitions=1)
    await produce_old(kafka_bootstrap, topic, {0: 30})
    tp = TopicPartition(topic, 0)
    await commit(kafka_bootstrap, group, {tp: 5})
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.delete_records({tp: RecordsToDelete(before_offset=20)})
    finally:
        await admin.close()

    ours, described = await asyncio.to_thread(senflow_rows, kafka_bootstrap, group)
    theirs = await asyncio.to_thread(kafka_tool, kafka_bootstrap, group)

    assert ours == theirs == {(topic, 0, 5, 30, 25, None)}
    (p,) = described["partitions"]
    assert (p["log_start"], p["lost"], described["total_lost"]) == (20, 15, 15)
    # Record 20 was stamped AGE_S − 20 s ago.
    assert AGE_S - 20 - 15 <= p["age_s"] <= AGE_S - 20 + 15
    gate = await asyncio.to_thread(
        senflow_lag, kafka_bootstrap, "--group", group, "--max-age", str(AGE_S)
    )
    assert gate.returncode == 0, gate.stderr
    table = await asyncio.to_thread(senflow_lag, kafka_bootstrap, "--group", group)
    assert "LOST" in table.stdout


async def test_a_commit_past_the_end_shows_the_negative_lag_kafkas_tool_prints(
    kafka_bootstrap: str,
) -> None:
    run = secrets.token_hex(4)
    topic, group = f"lag-past-{run}", f"senflow-lag-past-{run}"
    await create_topic(kafka_bootstrap, topic, partitions=2)
    await produce_old(kafka_bootstrap, topic, {0: 10, 1: 10})
    await commit(
        kafka_bootstrap, group, {TopicPartition(topic, 0): 40, TopicPartition(topic, 1): 4}
    )

    ours, described = await asyncio.to_thread(senflow_rows, kafka_bootstrap, group)
    theirs = await asyncio.to_thread(kafka_tool, kafka_bootstrap, group)

    assert ours == theirs == {(topic, 0, 40, 10, -30, None), (topic, 1, 4, 10, 6, None)}
    assert described["total_lag"] == 6  # nothing waits on partition 0: it counts 0


async def test_a_named_group_that_does_not_exist_fails(kafka_bootstrap: str) -> None:
    group = f"senflow-lag-missing-{secrets.token_hex(4)}"
    for args in ((), ("--max-lag", "0"), ("--json",)):
        result = await asyncio.to_thread(senflow_lag, kafka_bootstrap, "--group", group, *args)
        assert result.returncode == 1, args
        assert f"Consumer group '{group}' does not exist." in result.stderr
        assert "Traceback" not in result.stderr


async def test_owned_partitions_without_commit_fail_a_threshold_as_unknown(
    kafka_bootstrap: str,
) -> None:
    """A member owns the partitions and has committed nothing: the tool and we show `-`,
    and `--max-lag 0` must not pass on it (how much waits depends on the reset policy)."""
    run = secrets.token_hex(4)
    topic, group = f"lag-owned-{run}", f"senflow-lag-owned-{run}"
    await create_topic(kafka_bootstrap, topic, partitions=2)
    await produce_old(kafka_bootstrap, topic, {0: 5})
    member = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False
    )
    await member.start()
    try:
        async with asyncio.timeout(30):
            while len(member.assignment()) < 2:
                await member.getmany(timeout_ms=200)

        ours, described = await asyncio.to_thread(senflow_rows, kafka_bootstrap, group)
        theirs = await asyncio.to_thread(kafka_tool, kafka_bootstrap, group)
        gate = await asyncio.to_thread(
            senflow_lag, kafka_bootstrap, "--group", group, "--max-lag", "0"
        )
        age_gate = await asyncio.to_thread(
            senflow_lag, kafka_bootstrap, "--group", group, "--max-age", "3600"
        )
    finally:
        await member.stop()

    assert ours == theirs
    assert {(row[0], row[1], row[2], row[4]) for row in ours} == {
        (topic, 0, None, None),
        (topic, 1, None, None),
    }
    assert described["state"] == "Stable" and described["total_lag"] == 0
    assert gate.returncode == 1
    # Partition 1 is empty: nothing waits there whatever the reset policy.
    assert f"{group}: lag unknown, no commit on {topic}/0" in gate.stderr
    assert age_gate.returncode == 1
    assert f"{group}: oldest waiting unknown on {topic}/0" in age_gate.stderr


async def test_unreachable_kafka_is_a_clear_error() -> None:
    result = await asyncio.to_thread(senflow_lag, f"127.0.0.1:{free_port()}")
    assert result.returncode == 2
    assert "not reachable" in result.stderr and "Traceback" not in result.stderr


async def test_platform_groups_match_kafkas_tool(platform: Platform, kafka_bootstrap: str) -> None:
    """The live router and dispatcher groups (members, owners and all). They may commit
    between the two reads, so the comparison is retried on a quiet moment."""
    for group in (platform.env["ROUTER_APP_ID"], platform.env["DISPATCHER_GROUP_ID"]):
        for _ in range(5):
            ours, described = await asyncio.to_thread(senflow_rows, kafka_bootstrap, group)
            theirs = await asyncio.to_thread(kafka_tool, kafka_bootstrap, group)
            if ours == theirs:
                break
            await asyncio.sleep(1)
        assert ours == theirs
        assert described["state"] == "Stable" and described["members"] >= 1
        assert all(row[5] is not None for row in ours), "every partition has an owner"


async def test_exporter_serves_the_same_numbers(
    kafka_bootstrap: str, lagging_group: tuple[str, str]
) -> None:
    topic, group = lagging_group
    port = free_port()
    exporter = lag_exporter(kafka_bootstrap, port, group)
    await asyncio.to_thread(exporter.start)
    try:
        async with httpx.AsyncClient() as http:
            text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    finally:
        exporter.stop()

    samples = {
        (s.name, s.labels.get("group"), s.labels.get("topic"), s.labels.get("partition")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }

    def sample(name: str, partition: int) -> float:
        found = samples.get((name, group, topic, str(partition)))
        assert found is not None, f"{name} for partition {partition} missing"
        return found

    assert sample("senflow_consumergroup_lag", 0) == 20
    assert sample("senflow_consumergroup_lag", 1) == 0
    assert sample("senflow_consumergroup_committed_offset", 0) == 10
    assert sample("senflow_consumergroup_log_end_offset", 0) == 30
    assert AGE_S - 25 <= sample("senflow_consumergroup_lag_seconds", 0) <= AGE_S + 5
    assert samples[("senflow_consumergroup_members", group, None, None)] == 0
    assert sample("senflow_consumergroup_lost_records", 0) == 0
    measured_at = samples[("senflow_consumergroup_measured_timestamp_seconds", group, None, None)]
    assert time.time() - 60 < measured_at <= time.time()


async def test_prometheus_watches_lag_rise_and_fall_as_kafkas_tool_does(
    kafka_bootstrap: str, lagging_group: tuple[str, str], tmp_path: Path
) -> None:
    """The whole chain of `make up`: the exporter, Prometheus started by
    scripts/prometheus.sh scraping it, a PromQL query; the number is the tool's."""
    topic, group = lagging_group
    exporter_port, prometheus_port = free_port(), free_port()
    exporter = lag_exporter(kafka_bootstrap, exporter_port, group)
    env = {
        **os.environ,
        "SENFLOW_STATE_DIR": str(tmp_path),
        "SENFLOW_PROMETHEUS_PORT": str(prometheus_port),
        "LAG_EXPORTER_PORT": str(exporter_port),
    }

    def prometheus(action: str) -> None:
        script = str(ROOT / "scripts" / "prometheus.sh")
        subprocess.run([script, action], env=env, check=True, capture_output=True, timeout=60)

    await asyncio.to_thread(exporter.start)
    try:
        await asyncio.to_thread(prometheus, "start")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{prometheus_port}") as prom:

            async def lag_in_prometheus(expected: float) -> None:
                query = f'sum(senflow_consumergroup_lag{{group="{group}"}})'
                async with asyncio.timeout(60):
                    while True:
                        answer = (await prom.get("/api/v1/query", params={"query": query})).json()
                        result = answer["data"]["result"]
                        if result and float(result[0]["value"][1]) == expected:
                            return
                        await asyncio.sleep(1)

            await lag_in_prometheus(20)
            rows = await asyncio.to_thread(kafka_tool, kafka_bootstrap, group)
            assert sum(row[4] or 0 for row in rows) == 20

            await commit(kafka_bootstrap, group, {TopicPartition(topic, 0): 30})
            await lag_in_prometheus(0)
            rows = await asyncio.to_thread(kafka_tool, kafka_bootstrap, group)
            assert sum(row[4] or 0 for row in rows) == 0
    finally:
        await asyncio.to_thread(prometheus, "stop")
        exporter.stop()
