"""`senflow simulate` on the running platform, as an operator runs it: the console script
as a process, with the platform's Kafka, API, ingest and broker in its environment.

For each device type it creates the devices in a flow to a webhook receiver and sends
through the type's own interface (raw LoRa uplinks on Kafka, SenML to the HTTP ingest,
MQTT publishes); the receiver gets every uplink, from every device, each token valid.
Also: the admin token gets a customer of its own and devices a later `--reuse` signs as,
another key's derived secrets are refused (exit 1), and an unreachable target is one line
on stderr (exit 3), before anything is created."""

import json
import os
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from senflow.common.senml import network_urn
from tests.support.api import Api, create_customer, new_destination_secret
from tests.support.cli import run_senflow
from tests.support.mosquitto import MqttBroker
from tests.support.mqtt_bridge import running_bridge
from tests.support.platform import Platform
from tests.support.processes import ServiceProcess, free_port
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

DEVICES = 3
UPLINKS = 12  # four per device
DECODERS = {"lora": "cayenne-lpp", "internet": "senml", "m2m": "senml", "mqtt": "senml"}


@dataclass
class Ran:
    code: int
    report: dict[str, Any] | None  # the --json summary
    stderr: str


@pytest.fixture(scope="module")
def bridge(platform: Platform, mqtt_broker: MqttBroker) -> Iterator[ServiceProcess]:
    """The MQTT bridge from the broker to the platform (the platform fixture has none)."""
    with running_bridge(platform, mqtt_broker, "mqtt-bridge-simulate.log") as service:
        yield service


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    r = await WebhookReceiver(secret="").start()
    yield r
    await r.stop()


def cli_env(platform: Platform, token: str, broker: MqttBroker | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "SENFLOW_KAFKA_BOOTSTRAP": platform.kafka_bootstrap,
        "SENFLOW_API_URL": platform.api_url,
        "SENFLOW_API_TOKEN": token,
        "SENFLOW_INGEST_URL": platform.ingest_url,
        "COLUMNS": "250",  # rich wraps at the terminal's width; keep each line whole
    }
    if broker is not None:
        env |= {"SENFLOW_MQTT_HOST": broker.host, "SENFLOW_MQTT_PORT": str(broker.port)}
    return env


async def simulate(env: dict[str, str], *args: str, timeout_s: float = 120.0) -> Ran:
    run = await run_senflow(env, "simulate", *args, "--json", timeout_s=timeout_s)
    report = json.loads(run.stdout) if run.stdout.strip() else None
    return Ran(run.code, report, run.stderr)


async def flow_to(api: Api, receiver: WebhookReceiver, decoder: str) -> str:
    """A project, an HTTPS destination to the receiver and a flow to it without devices."""
    project = await api.ok("POST", "/projects", {"name": "p"})
    receiver.secret = new_destination_secret()
    destination = await api.ok(
        "POST",
        "/destinations",
        {"name": "hook", "config": {"url": receiver.url}, "secret": receiver.secret},
    )
    flow = await api.ok(
        "POST",
        "/flows",
        {
            "project_id": project["id"],
            "name": "simulated",
            "destination_ids": [destination["id"]],
            "decoder_ids": [decoder],
        },
    )
    return str(flow["id"])


async def flow_device_urns(api: Api, flow_id: str) -> set[str]:
    flow = await api.ok("GET", f"/flows/{flow_id}")
    urns = set()
    for device_id in flow["device_ids"]:
        device = await api.ok("GET", f"/devices/{device_id}")
        [info] = device["network_info"]
        urns.add(network_urn(info["network_type"], info["identifier"]))
    return urns


@pytest.mark.parametrize("device_type", ["lora", "internet", "m2m", "mqtt"])
async def test_every_uplink_of_every_device_is_delivered_when_simulated_into_a_flow(
    platform: Platform,
    admin: Api,
    receiver: WebhookReceiver,
    request: pytest.FixtureRequest,
    device_type: str,
) -> None:
    broker = None
    if device_type == "mqtt":
        request.getfixturevalue("bridge")
        broker = request.getfixturevalue("mqtt_broker")
    _, api = await create_customer(admin)
    flow_id = await flow_to(api, receiver, DECODERS[device_type])

    ran = await simulate(
        cli_env(platform, api.token, broker),
        *("--type", device_type, "--devices", str(DEVICES), "--count", str(UPLINKS)),
        *("--rate", "40", "--flow", flow_id),
    )

    assert ran.code == 0, ran.stderr
    assert ran.report is not None
    assert ran.report["ok"] is True
    assert (ran.report["sent"], ran.report["accepted"], ran.report["rejected"]) == (12, 12, 0)
    assert ran.report["ack_latency_ms"]["p50"] > 0
    delivered = await receiver.wait_accepted(UPLINKS, timeout_s=60)
    assert all(r.token_valid for r in delivered)
    per_device = Counter(json.loads(r.body)[0]["bn"] for r in delivered)
    assert set(per_device) == await flow_device_urns(api, flow_id)
    assert set(per_device.values()) == {UPLINKS // DEVICES}
    assert len({r.headers["Senflow-Message-Id"] for r in delivered}) == UPLINKS


async def test_admin_token_gets_a_customer_whose_key_reuses_the_devices_when_given_back(
    platform: Platform,
) -> None:
    created = await simulate(
        cli_env(platform, platform.admin_token),
        *("--type", "internet", "--devices", "2", "--count", "4", "--rate", "20"),
    )
    assert created.code == 0, created.stderr
    assert created.report is not None
    key = created.report["new_customer"]["api_key"]
    assert "no-flow" in created.stderr  # told that nothing will be delivered

    reused = await simulate(
        cli_env(platform, key),
        *("--type", "internet", "--devices", "5", "--count", "6", "--rate", "20", "--reuse"),
    )
    assert reused.code == 0, reused.stderr
    assert reused.report is not None
    assert (reused.report["devices"], reused.report["accepted"]) == (2, 6)
    assert "found 2 of 5" in reused.stderr


async def test_refusals_are_counted_by_reason_and_exit_1_when_the_secrets_do_not_match(
    platform: Platform, admin: Api
) -> None:
    customer_id, api = await create_customer(admin)
    created = await simulate(
        cli_env(platform, api.token),
        *("--type", "m2m", "--devices", "2", "--count", "2", "--rate", "20"),
    )
    assert created.code == 0, created.stderr
    # The same customer's other key derives other secrets: the ingest refuses them all.
    other = await admin.ok(
        "POST", "/api-keys", {"customer_id": customer_id, "scopes": ["read", "write"]}
    )
    refused = await simulate(
        cli_env(platform, other["key"]),
        *("--type", "m2m", "--devices", "2", "--count", "4", "--rate", "20", "--reuse"),
    )
    assert refused.code == 1
    assert refused.report is not None
    assert refused.report["ok"] is False
    assert refused.report["rejected_by_reason"] == {"http-401": 4}


@pytest.mark.parametrize(
    ("device_type", "variable", "says"),
    [
        ("internet", "SENFLOW_INGEST_URL", "the ingest at http://127.0.0.1:{port}"),
        ("mqtt", "SENFLOW_MQTT_PORT", "the MQTT broker at 127.0.0.1:{port}"),
        ("lora", "SENFLOW_KAFKA_BOOTSTRAP", "Kafka at 127.0.0.1:{port}"),
    ],
)
async def test_an_unreachable_target_is_one_line_and_exit_3_before_anything_is_created(
    platform: Platform, admin: Api, device_type: str, variable: str, says: str
) -> None:
    _, api = await create_customer(admin)
    port = free_port()  # nothing listens there
    value = str(port) if variable.endswith("PORT") else f"127.0.0.1:{port}"
    if variable == "SENFLOW_INGEST_URL":
        value = f"http://{value}"
    env = cli_env(platform, api.token) | {variable: value}
    ran = await simulate(env, "--type", device_type, "--count", "1", timeout_s=60)
    assert ran.code == 3
    assert ran.report is None
    assert says.format(port=port) in ran.stderr
    assert "did not answer" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert (await api.ok("GET", "/devices"))["items"] == []


async def test_options_beyond_the_bounds_are_refused_with_exit_2(platform: Platform) -> None:
    env = cli_env(platform, platform.admin_token)
    too_long = await simulate(env, "--type", "lora", "--count", "5000", "--rate", "1")
    assert too_long.code == 2
    assert "at most 3600 s" in too_long.stderr
    too_many = await simulate(env, "--type", "lora", "--count", "1000001")
    assert too_many.code == 2
