"""The HTTP ingest's lifecycle: directory, pending downlinks, producer and the two HTTP
servers."""

import asyncio

from aiohttp import web
from aiokafka import AIOKafkaProducer

from senflow.common.ops_server import OpsServer
from senflow.router.ingest.directory import DeviceDirectory
from senflow.router.ingest.downlinks import DownlinkHandout
from senflow.router.ingest.http import IngestEndpoints
from senflow.router.ingest.settings import IngestSettings


class IngestService:
    def __init__(self, settings: IngestSettings) -> None:
        self._settings = settings
        self._directory = DeviceDirectory(settings.kafka_bootstrap, settings.secrets_key_bytes)
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=2,  # concurrent requests share a batch; each still waits for its ack
        )
        self._downlinks = DownlinkHandout(
            settings.kafka_bootstrap,
            self._producer,
            report_timeout_s=settings.downlink_report_timeout_s,
            max_per_device=settings.max_pending_downlinks_per_device,
            max_total=settings.max_pending_downlinks,
        )
        self._ops = OpsServer(settings.http_host, settings.ops_port, self._ready)
        self._runner: web.AppRunner | None = None
        self._producer_started = False

    def _ready(self) -> bool:
        return self._producer_started and self._directory.loaded and self._downlinks.loaded

    async def start(self) -> None:
        await self._ops.start()
        await self._producer.start()
        self._producer_started = True
        load_timeout_s = self._settings.view_load_timeout_s
        await asyncio.gather(
            self._directory.start(load_timeout_s), self._downlinks.start(load_timeout_s)
        )
        endpoints = IngestEndpoints(
            self._directory, self._downlinks, self._producer, self._settings.send_timeout_s
        )
        self._runner = web.AppRunner(endpoints.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._settings.http_host, self._settings.http_port)
        await site.start()

    async def stop(self) -> None:
        """Stop taking requests, let those in flight finish, then flush and close."""
        if self._runner is not None:
            await self._runner.cleanup()
        await self._producer.stop()
        await self._downlinks.stop()
        await self._directory.stop()
        await self._ops.stop()

    async def run(self, stop: asyncio.Event) -> None:
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()
