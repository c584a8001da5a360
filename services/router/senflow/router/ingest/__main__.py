"""`senflow-ingest`: the HTTP ingest for Internet and M2M devices, until SIGTERM/SIGINT."""

import asyncio

from senflow.common.kafka_admin import ensure_topics
from senflow.common.lifecycle import stop_on_signals
from senflow.common.logs import configure_logging
from senflow.router.ingest.service import IngestService
from senflow.router.ingest.settings import IngestSettings


async def _run(settings: IngestSettings) -> None:
    stop = stop_on_signals()
    await ensure_topics(settings.kafka_bootstrap)
    await IngestService(settings).run(stop)


def main() -> None:
    settings = IngestSettings()  # reads the environment
    configure_logging(settings.log_level)
    asyncio.run(_run(settings))


if __name__ == "__main__":
    main()
