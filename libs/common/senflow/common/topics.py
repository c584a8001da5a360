"""Every Kafka topic of the platform: name, partitions and retention policy.

Names say domain, entity, kind and version. Registry topics are compacted and keyed by
entity id (the latest snapshot per entity survives; a tombstone deletes). Data topics are
keyed by device id so that one device's records stay in order.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    compacted: bool = False
    config: dict[str, str] = field(default_factory=dict)


REGISTRY_CUSTOMERS = "senflow.registry.customers.v1"
REGISTRY_PROJECTS = "senflow.registry.projects.v1"
REGISTRY_FLOWS = "senflow.registry.flows.v1"
REGISTRY_DEVICES = "senflow.registry.devices.v1"
REGISTRY_DESTINATIONS = "senflow.registry.destinations.v1"
REGISTRY_CODECS = "senflow.registry.codecs.v1"

# Compacted, key = decoder id: the latest `DecoderStatus` a router worker reported.
DECODER_STATUS = "senflow.decoders.status.v1"
# Compacted, key = destination id: the latest `DestinationHealth` a dispatcher reported.
DESTINATION_HEALTH = "senflow.destinations.health.v1"

UPLINKS_RAW_LORA = "senflow.uplinks.lora.raw.v1"
UPLINKS_RAW_DEVICE = "senflow.uplinks.device.raw.v1"  # Internet, M2M, MQTT
UPLINKS_DEADLETTER = "senflow.uplinks.deadletter.v1"
DELIVERIES = "senflow.deliveries.v1"
DELIVERIES_DEADLETTER = "senflow.deliveries.deadletter.v1"
# What stays replayable: the registry API lists and replays dead letters of this age.
DELIVERIES_DEADLETTER_RETENTION_MS = 14 * 24 * 3600 * 1000
# Compacted, key = dead-letter entry id (`<partition>-<offset>`): the latest
# `DeadLetterReplayed` per entry. Also deleted after twice the dead letters' retention,
# when their entries are gone for sure (retention removes whole segments, late).
DELIVERY_REPLAYS = "senflow.deliveries.replays.v1"
DELIVERY_REPLAYS_RETENTION_MS = 2 * DELIVERIES_DEADLETTER_RETENTION_MS
# Key = destination id: a `DeliveryOutcome` per attempt's outcome, for insight (a week).
DELIVERY_OUTCOMES = "senflow.deliveries.outcomes.v1"
DELIVERY_OUTCOMES_RETENTION_MS = 7 * 24 * 3600 * 1000
# Not compacted, key = destination id: what the test-endpoint destinations received, read
# back by the registry API; kept as long as the API shows them.
TEST_MESSAGES = "senflow.destinations.test-messages.v1"
TEST_MESSAGES_RETENTION_MS = 5 * 24 * 3600 * 1000

# Downlinks (see senflow.common.downlinks). The registry's change events of downlinks,
# key = downlink id: compacted for the latest status, and deleted after 30 days (longer than
# any time to live) so finished downlinks do not pile up.
DOWNLINKS = "senflow.downlinks.v1"
DOWNLINKS_RETENTION_MS = 30 * 24 * 3600 * 1000
# Workers' `DownlinkReport`s for the registry, key = downlink id.
DOWNLINK_REPORTS = "senflow.downlinks.reports.v1"
# `DownlinkRequest`s from destinations' answers, for the registry, key = device id.
DOWNLINK_REQUESTS = "senflow.downlinks.requests.v1"
# For the LoRaWAN network server (`LoraDownlink`), and its answers (`LoraDownlinkResult`),
# key = DevEUI.
DOWNLINKS_LORA = "senflow.downlinks.lora.v1"
DOWNLINKS_LORA_RESULTS = "senflow.downlinks.lora.results.v1"
DOWNLINK_TRAFFIC_RETENTION_MS = 7 * 24 * 3600 * 1000

DATA_PARTITIONS = 8

ALL_TOPICS: tuple[TopicSpec, ...] = (
    *(
        TopicSpec(name, partitions=1, compacted=True)
        for name in (
            REGISTRY_CUSTOMERS,
            REGISTRY_PROJECTS,
            REGISTRY_FLOWS,
            REGISTRY_DEVICES,
            REGISTRY_DESTINATIONS,
            REGISTRY_CODECS,
            DECODER_STATUS,
            DESTINATION_HEALTH,
        )
    ),
    TopicSpec(
        DELIVERY_REPLAYS,
        partitions=1,
        compacted=True,
        config={
            "cleanup.policy": "compact,delete",
            "retention.ms": str(DELIVERY_REPLAYS_RETENTION_MS),
        },
    ),
    TopicSpec(UPLINKS_RAW_LORA, DATA_PARTITIONS),
    TopicSpec(UPLINKS_RAW_DEVICE, DATA_PARTITIONS),
    TopicSpec(UPLINKS_DEADLETTER, DATA_PARTITIONS),
    TopicSpec(DELIVERIES, DATA_PARTITIONS),
    TopicSpec(
        DELIVERIES_DEADLETTER,
        DATA_PARTITIONS,
        config={"retention.ms": str(DELIVERIES_DEADLETTER_RETENTION_MS)},
    ),
    TopicSpec(
        DELIVERY_OUTCOMES,
        DATA_PARTITIONS,
        config={"retention.ms": str(DELIVERY_OUTCOMES_RETENTION_MS)},
    ),
    TopicSpec(
        TEST_MESSAGES, DATA_PARTITIONS, config={"retention.ms": str(TEST_MESSAGES_RETENTION_MS)}
    ),
    TopicSpec(
        DOWNLINKS,
        DATA_PARTITIONS,
        compacted=True,
        config={"cleanup.policy": "compact,delete", "retention.ms": str(DOWNLINKS_RETENTION_MS)},
    ),
    *(
        TopicSpec(
            name, DATA_PARTITIONS, config={"retention.ms": str(DOWNLINK_TRAFFIC_RETENTION_MS)}
        )
        for name in (DOWNLINK_REPORTS, DOWNLINK_REQUESTS, DOWNLINKS_LORA, DOWNLINKS_LORA_RESULTS)
    ),
)

ENTITY_TOPICS: dict[str, str] = {
    "customer": REGISTRY_CUSTOMERS,
    "project": REGISTRY_PROJECTS,
    "flow": REGISTRY_FLOWS,
    "device": REGISTRY_DEVICES,
    "destination": REGISTRY_DESTINATIONS,
    "codec": REGISTRY_CODECS,
    "downlink": DOWNLINKS,
}


def is_reserved(topic: str) -> bool:
    """The platform's own topics (and Kafka's internal ones): no customer destination may
    write to them."""
    return topic.startswith(("senflow.", "__"))
