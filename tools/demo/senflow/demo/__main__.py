"""`senflow-demo`: drives the running platform through its public interfaces only.

Creates a customer and API key (admin), a project, a LoRa device, an HTTPS destination
pointing at a local receiver and a flow; publishes uplinks to the raw LoRa topic; prints
what the receiver got and whether each `Things-Message-Token` verified.
"""

import asyncio
import json
import os
import secrets
import sys
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiokafka import AIOKafkaProducer

from senflow.common import topics
from senflow.demo.receiver import Receiver

UPLINKS = 5


async def call(
    session: aiohttp.ClientSession, token: str, method: str, path: str, body: Any
) -> Any:
    api = os.environ.get("SENFLOW_API_URL", "http://127.0.0.1:8080")
    async with session.request(
        method, api + path, json=body, headers={"Authorization": f"Bearer {token}"}
    ) as resp:
        data = await resp.json(content_type=None)
        if resp.status >= 300:
            sys.exit(f"{method} {path} -> {resp.status}: {data}")
        return data


async def scenario() -> int:
    admin = os.environ["REGISTRY_ADMIN_TOKEN"]
    secret = "Demo-" + secrets.token_hex(16) + "!"
    receiver = Receiver(secret)
    url = await receiver.start()
    dev_eui = secrets.token_hex(8).upper()
    async with aiohttp.ClientSession() as s:
        customer = await call(s, admin, "POST", "/customers", {"name": "Demo customer"})
        key = (
            await call(
                s,
                admin,
                "POST",
                "/api-keys",
                {"customer_id": customer["id"], "scopes": ["read", "write"]},
            )
        )["key"]
        project = await call(s, key, "POST", "/projects", {"name": "Demo project"})
        device = await call(
            s, key, "POST", "/devices", {"name": "Demo sensor", "specification_id": "own-lora"}
        )
        await call(
            s,
            key,
            "PUT",
            f"/devices/{device['id']}/network-info/KPNLORA",
            {
                "dev_eui": dev_eui,
                "join_eui": "70B3D57ED0000000",
                "app_key": secrets.token_hex(16).upper(),
            },
        )
        destination = await call(
            s,
            key,
            "POST",
            "/destinations",
            {"name": "Local receiver", "config": {"url": url}, "secret": secret},
        )
        flow = await call(
            s,
            key,
            "POST",
            "/flows",
            {
                "project_id": project["id"],
                "name": "Demo flow",
                "device_ids": [device["id"]],
                "destination_ids": [destination["id"]],
                "decoder_ids": ["lora-raw"],
            },
        )
    print(
        f"customer {customer['id']}\ndevice   {device['id']} (DevEUI {dev_eui})\n"
        f"flow     {flow['id']}\ndest     {destination['id']} -> {url}"
    )

    # The registry publishes changes asynchronously (transactional outbox); the router
    # honours them well within a second. Uplinks sent before then are dead-lettered.
    await asyncio.sleep(1.0)
    kafka = os.environ.get("SENFLOW_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    try:
        for i in range(UPLINKS):
            uplink = {
                "dev_eui": dev_eui,
                "f_port": 1,
                "f_cnt_up": i,
                "payload_hex": f"{i:02X}A1B2",
                "received_at": datetime.now(UTC).isoformat(),
            }
            await producer.send_and_wait(
                topics.UPLINKS_RAW_LORA, key=dev_eui.encode(), value=json.dumps(uplink).encode()
            )
    finally:
        await producer.stop()
    print(f"published {UPLINKS} uplinks to {topics.UPLINKS_RAW_LORA}")

    await receiver.wait_for(UPLINKS, timeout_s=60)
    await receiver.stop()
    print(f"\nthe receiver got {len(receiver.received)} deliveries:")
    for r in receiver.received:
        verdict = "token OK " if r.token_valid else "token BAD"
        print(
            f"  [{verdict}] attempt {r.headers.get('Senflow-Attempt')} "
            f"message {r.headers.get('Senflow-Message-Id')}\n      {r.body.decode()}"
        )
    ok = len(receiver.received) >= UPLINKS and all(r.token_valid for r in receiver.received)
    print("\ndemo " + ("succeeded" if ok else "FAILED"))
    return 0 if ok else 1


def main() -> None:
    sys.exit(asyncio.run(scenario()))


if __name__ == "__main__":
    main()
