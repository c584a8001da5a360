"""Internet and M2M devices: each posts its SenML pack to the HTTP ingest, signed with its
shared secret (`Things-Message-Token`), and waits for the answer before its next one."""

import time
from datetime import UTC, datetime

import aiohttp

from senflow.cli.simulate_devices import SimDevice
from senflow.cli.simulate_errors import TargetUnreachable
from senflow.cli.simulate_payloads import senml_pack
from senflow.cli.simulate_summary import Outcome
from senflow.common.events import NetworkType
from senflow.common.message_token import TOKEN_HEADER, message_token

PATHS: dict[NetworkType, str] = {
    "INTERNET": "/ingestion/ip/senml/v1",
    "M2M": "/ingestion/m2m/senml/v1",
}
# Above the ingest's own wait for Kafka (INGEST_SEND_TIMEOUT_S, 10 s), so its 503 comes first.
ANSWER_TIMEOUT_S = 15.0
PROBE_TIMEOUT_S = 5.0


class IngestSender:
    # Connections at once; more would only queue inside the ingest.
    max_in_flight = 128
    one_at_a_time_per_device = True  # a device waits for its answer, as a real one does

    def __init__(self, ingest_url: str, network_type: NetworkType) -> None:
        self._url = ingest_url.rstrip("/") + PATHS[network_type]
        self._session: aiohttp.ClientSession | None = None

    @property
    def target(self) -> str:
        return self._url

    async def probe(self) -> None:
        """Any HTTP answer proves the ingest is there (an unsigned GET is a 405)."""
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.max_in_flight),
            timeout=aiohttp.ClientTimeout(total=ANSWER_TIMEOUT_S),
        )
        try:
            async with self._session.get(self._url, timeout=aiohttp.ClientTimeout(PROBE_TIMEOUT_S)):
                pass
        except (aiohttp.ClientError, TimeoutError) as err:
            await self.stop()
            raise TargetUnreachable(f"the ingest at {self._url} did not answer ({err})") from err

    async def start(self, devices: list[SimDevice]) -> None:
        """Nothing per device: HTTP needs no session."""

    async def send(self, device: SimDevice, seq: int) -> Outcome:
        """POST one pack; accepted on 2xx (204, or 200 with a downlink)."""
        assert self._session is not None, "probe() first"
        assert device.secret is not None, "Internet and M2M devices sign with their secret"
        body = senml_pack(device.urn, seq, datetime.now(UTC))
        headers = {
            "Content-Type": "application/senml+json",
            TOKEN_HEADER: message_token(body, device.secret),
        }
        started = time.perf_counter()
        try:
            async with self._session.post(self._url, data=body, headers=headers) as resp:
                await resp.read()
                latency = time.perf_counter() - started
                if 200 <= resp.status < 300:
                    return Outcome(True, None, latency, resp.headers.get("Senflow-Message-Id"))
                return Outcome(False, f"http-{resp.status}", latency)
        except TimeoutError:
            return Outcome(False, "timeout")
        except aiohttp.ClientConnectionError:
            return Outcome(False, "connection-failed")
        except aiohttp.ClientError as err:
            return Outcome(False, f"http-error-{type(err).__name__}")

    async def stop(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
