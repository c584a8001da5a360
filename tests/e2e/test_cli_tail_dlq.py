"""`senflow tail` and `senflow dlq` on the running platform, as an operator runs them: the
console script as a process, with the platform's Kafka and API in its environment.

Tail follows a device while its uplinks flow and prints their decoded values, each
message once although it goes to two destinations; dlq lists, shows and replays dead
letters through the API, and the receiver gets the replays."""

import asyncio
import json
import os
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from tests.support.api import (
    Api,
    create_customer,
    create_tenant,
    new_destination_secret,
    register_lora_device,
    wait_outbox_drained,
)
from tests.support.cli import run_senflow
from tests.support.kafka import lora_uplink, produce
from tests.support.platform import Platform
from tests.support.processes import BIN
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

PAYLOADS = ("0A01", "0A02", "0A03")


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str

    def json_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def cli_env(platform: Platform, token: str | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "SENFLOW_KAFKA_BOOTSTRAP": platform.kafka_bootstrap,
        "SENFLOW_API_URL": platform.api_url,
        "COLUMNS": "250",  # rich wraps at the terminal's width; keep each line whole
    }
    if token is not None:
        env["SENFLOW_API_TOKEN"] = token
    return env


async def senflow(env: dict[str, str], *args: str, timeout_s: float = 60.0) -> Ran:
    run = await run_senflow(env, *args, timeout_s=timeout_s)
    return Ran(run.code, run.stdout.decode(), run.stderr)


class Tail:
    """A `senflow tail` running in the background, started once it says it follows."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, env: dict[str, str], *args: str) -> "Tail":
        proc = await asyncio.create_subprocess_exec(
            str(BIN / "senflow"),
            "tail",
            *args,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        tail = cls(proc)
        assert proc.stderr is not None
        try:
            async with asyncio.timeout(30):
                # Positions are fixed before this line: what is produced after it is seen.
                while b"Following" not in (line := await proc.stderr.readline()):
                    assert line, "tail ended before following"
        except BaseException:
            await tail.stop()
            raise
        return tail

    async def finished(self, timeout_s: float = 60.0) -> Ran:
        """Its output once it ended by itself (`--count`); killed if it does not in time."""
        try:
            async with asyncio.timeout(timeout_s):
                out, err = await self.proc.communicate()
        finally:
            await self.stop()
        assert self.proc.returncode is not None
        return Ran(self.proc.returncode, out.decode(), err.decode())

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


@dataclass
class TwoDestinations:
    """One LoRa device in one flow (lora-raw) to two HTTPS destinations."""

    customer_id: str
    device_id: str
    dev_eui: str
    flow_id: str


async def two_destinations(
    admin: Api, database_url: str, *receivers: WebhookReceiver
) -> TwoDestinations:
    # Both destinations are in the flow from its first version: a router that already
    # knows a flow routes by the version it holds, so one added later might miss uplinks.
    customer_id, api = await create_customer(admin)
    project = await api.ok("POST", "/projects", {"name": "p"})
    device_id, dev_eui = await register_lora_device(api)
    destination_ids = []
    for receiver in receivers:
        body = {"name": "hook", "config": {"url": receiver.url}, "secret": receiver.secret}
        destination_ids.append((await api.ok("POST", "/destinations", body))["id"])
    flow = await api.ok(
        "POST",
        "/flows",
        {
            "project_id": project["id"],
            "name": "f",
            "device_ids": [device_id],
            "destination_ids": destination_ids,
            "decoder_ids": ["lora-raw"],
        },
    )
    await wait_outbox_drained(database_url)
    return TwoDestinations(customer_id, device_id, dev_eui, flow["id"])


async def test_tail_prints_each_decoded_message_once_while_uplinks_flow_to_two_destinations(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    first = await WebhookReceiver(secret=new_destination_secret()).start()
    second = await WebhookReceiver(secret=new_destination_secret()).start()
    try:
        route = await two_destinations(admin, platform.database_url, first, second)
        env = cli_env(platform)

        tail = await Tail.start(env, "--device", route.device_id, "--count", "3", "--json")
        for f_cnt, payload in enumerate(PAYLOADS, start=1):
            uplink = lora_uplink(route.dev_eui, f_cnt, payload_hex=payload)
            await produce(producer, route.dev_eui, uplink)
        ran = await tail.finished()

        assert ran.code == 0, ran.stderr
        shown = ran.json_lines()
        assert [m["senml"][0]["vs"] for m in shown] == list(PAYLOADS)  # one device: in order
        assert all(m["senml"][1] == {"n": "port", "v": 2} for m in shown)
        assert len({m["message_id"] for m in shown}) == 3
        for message in shown:
            assert message["device_id"] == route.device_id
            assert message["flow_id"] == route.flow_id
            assert message["customer_id"] == route.customer_id
            assert message["decoder"].startswith("lora-raw@")
        # Each uplink did make two deliveries; tail showed each decoded message once.
        await first.wait_accepted(3)
        await second.wait_accepted(3)

        readable = await senflow(env, "tail", "--flow", route.flow_id, "--since", "5m", "-n", "3")
        assert readable.code == 0, readable.stderr
        lines = readable.stdout.splitlines()
        assert len(lines) == 3
        for line, payload in zip(lines, PAYLOADS, strict=True):
            assert route.device_id in line and route.flow_id in line
            assert f'payload="{payload}", port=2' in line
    finally:
        await first.stop()
        await second.stop()


async def test_dlq_lists_shows_and_replays_dead_letters_through_the_cli(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    receiver = await WebhookReceiver(secret="", script=[400, 400, 400]).start()
    try:
        tenant = await create_tenant(admin, receiver.url, platform.database_url)
        receiver.secret = tenant.destination_secret  # valid tokens are answered 204 next
        for f_cnt in (1, 2, 3):
            await produce(producer, tenant.dev_eui, lora_uplink(tenant.dev_eui, f_cnt=f_cnt))
        env = cli_env(platform, token=tenant.api.token)
        destination = ("--destination", tenant.destination_id)

        items = await _listed_until(env, destination, count=3)
        assert all(i["reason"] == "http-status" and i["status_code"] == 400 for i in items)
        table = await senflow(env, "dlq", "list", *destination)
        assert table.code == 0, table.stderr
        assert all(item["id"] in table.stdout for item in items)
        assert "http-status" in table.stdout

        oldest = items[-1]
        shown = await senflow(env, "dlq", "show", *destination, oldest["id"], "--json")
        assert shown.code == 0, shown.stderr
        assert json.loads(shown.stdout)["body"][0]["bn"] == f"urn:dev:DEVEUI:{tenant.dev_eui}:"
        readable = await senflow(env, "dlq", "show", *destination, oldest["id"])
        assert "scripted answer" in readable.stdout and oldest["delivery_id"] in readable.stdout

        replayed = await senflow(env, "dlq", "replay", *destination, oldest["id"])
        assert replayed.code == 0, replayed.stderr
        assert "Replayed 1 dead letter" in replayed.stdout
        [accepted] = await receiver.wait_accepted(1)
        assert accepted.headers["Senflow-Delivery-Id"] == oldest["delivery_id"]

        again = await senflow(env, "dlq", "replay", *destination, oldest["id"])
        assert again.code == 1
        assert "409" in again.stderr and "--force" in again.stderr

        rest = await senflow(env, "dlq", "replay", *destination, "--all", "--json")
        assert rest.code == 0, rest.stderr
        assert json.loads(rest.stdout) == {"replayed": 2, "refused": []}
        accepted_all = await receiver.wait_accepted(3)
        assert {r.headers["Senflow-Delivery-Id"] for r in accepted_all} == {
            i["delivery_id"] for i in items
        }

        forced = await senflow(env, "dlq", "replay", *destination, oldest["id"], "--force")
        assert forced.code == 0, forced.stderr
        fourth = (await receiver.wait_accepted(4))[3]
        assert fourth.headers["Senflow-Delivery-Id"] == oldest["delivery_id"]
    finally:
        await receiver.stop()


async def _listed_until(
    env: dict[str, str], destination: tuple[str, str], count: int, timeout_s: float = 30.0
) -> list[dict[str, Any]]:
    """Ask until the API lists `count` entries: it follows the dead letters asynchronously."""
    async with asyncio.timeout(timeout_s):
        while True:
            ran = await senflow(env, "dlq", "list", *destination, "--json")
            assert ran.code == 0, ran.stderr
            items: list[dict[str, Any]] = json.loads(ran.stdout)["items"]
            if len(items) >= count:
                return items
            await asyncio.sleep(0.5)
