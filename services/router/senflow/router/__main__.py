"""`senflow-router`: runs a router worker until SIGTERM/SIGINT."""

import asyncio

import faust

from senflow.common.kafka_admin import ensure_topics
from senflow.common.logs import configure_logging
from senflow.router.app import create_app
from senflow.router.settings import RouterSettings


def main() -> None:
    settings = RouterSettings()  # reads the environment
    configure_logging(settings.log_level)
    asyncio.run(ensure_topics(settings.kafka_bootstrap))
    app, _ = create_app(settings)
    worker = faust.Worker(app, loglevel=settings.log_level, quiet=True)
    # faust's Worker installs its own log handlers; keep ours (JSON) instead.
    worker.setup_logging = lambda: configure_logging(settings.log_level)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
