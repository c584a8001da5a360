"""The loop around the registry's background work (the outbox relay, the activity
recorder, the downlink consumer and expiry, the topic followers): whatever stops a round,
the next starts `retry_s` later, until the task is cancelled."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import NoReturn


async def keep_running(
    round_: Callable[[], Awaitable[None]], *, name: str, retry_s: float, log: logging.Logger
) -> NoReturn:
    """Run `round_` again and again, `retry_s` apart: a failure (Kafka or PostgreSQL away)
    is logged as a warning under `name`, and so is a cancellation that is not this task's.

    aiokafka 0.14 can re-raise its own task's cancellation from `stop()`; dying on it would
    end the reading for good, unnoticed. Only cancelling this task (`stop()`) ends it.
    """
    while True:
        try:
            await round_()
        except asyncio.CancelledError:
            if _stopping():
                raise
            log.warning("%s paused: a stray cancellation", name)
        except Exception as err:  # noqa: BLE001 - any failure: start over
            log.warning("%s paused: %s: %s", name, type(err).__name__, err)
        await asyncio.sleep(retry_s)


def _stopping() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
