"""A faust-streaming agent that does nothing but forward records: the framework's own
consume → produce ceiling, with the router's settings (acks=all, the same linger).

`python -m bench.faust_pipe <bootstrap> <source topic> <target topic>` runs the worker;
`bench.baselines.faust_pipe` starts it and measures it.
"""

import sys
from typing import Any

import faust

from senflow.router.settings import RouterSettings


def create_app(bootstrap: str, source: str, target: str) -> faust.App:
    app = faust.App(
        f"bench-faust-pipe-{source}",
        broker=f"kafka://{bootstrap}",
        store="memory://",
        web_enabled=False,
        producer_acks=-1,
        producer_linger=RouterSettings.model_fields["producer_linger_s"].default,
        consumer_auto_offset_reset="earliest",
    )
    inbound = app.topic(source, key_serializer="raw", value_serializer="raw")
    outbound = app.topic(target, key_serializer="raw", value_serializer="raw")

    async def forward(stream: Any) -> None:
        async for event in stream.events():
            await outbound.send(key=event.key, value=event.value)

    app.agent(inbound, name="forward")(forward)
    return app


def main() -> None:
    bootstrap, source, target = sys.argv[1:4]
    app = create_app(bootstrap, source, target)
    worker = faust.Worker(app, loglevel="WARNING", quiet=True, override_logging=False)
    worker.spinner = None
    sys.argv = sys.argv[:1]  # the worker parses argv itself
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
