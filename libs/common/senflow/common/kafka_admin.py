"""Declares the platform's topics on start-up (the broker does not auto-create them)."""

import contextlib
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from senflow.common.topics import ALL_TOPICS, TopicSpec

log = logging.getLogger(__name__)


async def ensure_topics(bootstrap: str, specs: tuple[TopicSpec, ...] = ALL_TOPICS) -> None:
    """Create the missing topics of `specs`; existing ones are left as they are."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if not missing:
            return
        new = [
            NewTopic(
                name=s.name,
                num_partitions=s.partitions,
                replication_factor=1,
                topic_configs={
                    **({"cleanup.policy": "compact"} if s.compacted else {}),
                    **s.config,
                },
            )
            for s in missing
        ]
        # Another service may create them between our list and create.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(new)
        log.info("created topics %s", [s.name for s in missing])
    finally:
        await admin.close()
