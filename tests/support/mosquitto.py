"""Finds an MQTT broker for the tests, in this order:

1. `SENFLOW_TEST_MQTT` (host:port) pointing at a running broker that lets anyone connect;
2. the project's own `scripts/mosquitto.sh`, which starts a private Mosquitto for the test
   run (state under `.senflow/test/mosquitto`, port 11883, wiped first, stopped after).
"""

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

from tests.support import infra

LOCAL_PORT = 11883


@dataclass(frozen=True)
class MqttBroker:
    host: str
    port: int


def _script(action: str) -> None:
    subprocess.run(
        [str(infra.ROOT / "scripts" / "mosquitto.sh"), action],
        env={**os.environ, **infra.LOCAL_ENV, "SENFLOW_MQTT_PORT": str(LOCAL_PORT)},
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )


@contextlib.contextmanager
def mosquitto() -> Iterator[MqttBroker]:
    if given := os.environ.get("SENFLOW_TEST_MQTT"):
        host, _, port = given.rpartition(":")
        yield MqttBroker(host, int(port))
        return
    _script("stop")  # one an interrupted run left behind (only ever ours)
    shutil.rmtree(infra.TEST_STATE / "mosquitto", ignore_errors=True)
    _script("start")
    try:
        yield MqttBroker("127.0.0.1", LOCAL_PORT)
    finally:
        _script("stop")
