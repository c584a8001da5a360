"""`senflow-dispatcher`: runs a dispatcher worker until SIGTERM/SIGINT."""

import asyncio

from senflow.common.logs import configure_logging
from senflow.dispatcher.bootstrap import run
from senflow.dispatcher.settings import DispatcherSettings


def main() -> None:
    settings = DispatcherSettings()  # reads the environment
    configure_logging(settings.log_level)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
