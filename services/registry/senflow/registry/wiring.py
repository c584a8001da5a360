"""The set of use cases the API calls, built once from the pool and the platform key."""

from dataclasses import dataclass

import asyncpg

from senflow.registry.adapters.dead_letter_replays import KafkaReplayPublisher
from senflow.registry.adapters.dead_letters import DeadLetterIndex
from senflow.registry.domain.downlink_plan import TtlPolicy
from senflow.registry.use_cases.api_keys import ApiKeys
from senflow.registry.use_cases.bulk_import import BulkImport
from senflow.registry.use_cases.catalogue import Catalogue
from senflow.registry.use_cases.customers import Customers
from senflow.registry.use_cases.dead_letters import DeadLetters, ReplayPublisher, destinations_in
from senflow.registry.use_cases.decoder_trials import DecoderTrials
from senflow.registry.use_cases.destinations import Destinations
from senflow.registry.use_cases.device_activity import DeviceActivities
from senflow.registry.use_cases.devices import Devices
from senflow.registry.use_cases.downlink_updates import DownlinkUpdates
from senflow.registry.use_cases.downlinks import Downlinks
from senflow.registry.use_cases.flows import Flows
from senflow.registry.use_cases.projects import Projects
from senflow.registry.use_cases.subscriptions import Subscriptions


@dataclass(frozen=True)
class UseCaseSet:
    customers: Customers
    api_keys: ApiKeys
    subscriptions: Subscriptions
    projects: Projects
    devices: Devices
    device_activities: DeviceActivities
    destinations: Destinations
    flows: Flows
    catalogue: Catalogue
    decoder_trials: DecoderTrials
    bulk_import: BulkImport
    dead_letters: DeadLetters
    downlinks: Downlinks
    downlink_updates: DownlinkUpdates

    @classmethod
    def build(
        cls,
        pool: asyncpg.Pool,
        secrets_key: bytes,
        dead_letter_index: DeadLetterIndex | None = None,
        replay_publisher: ReplayPublisher | None = None,
        downlink_ttl: TtlPolicy | None = None,
    ) -> "UseCaseSet":
        """Without the dead letters' Kafka adapters, none is known and none can be replayed.
        Without `downlink_ttl`, downlinks live 24 h unless they ask for up to 7 days."""
        catalogue = Catalogue(pool, secrets_key)
        return cls(
            customers=Customers(pool, secrets_key),
            api_keys=ApiKeys(pool, secrets_key),
            subscriptions=Subscriptions(pool, secrets_key),
            projects=Projects(pool, secrets_key),
            devices=Devices(pool, secrets_key),
            device_activities=DeviceActivities(pool, secrets_key),
            destinations=Destinations(pool, secrets_key),
            flows=Flows(pool, secrets_key),
            catalogue=catalogue,
            decoder_trials=DecoderTrials(catalogue),
            bulk_import=BulkImport(pool, secrets_key),
            dead_letters=DeadLetters(
                destinations_in(pool),
                dead_letter_index or DeadLetterIndex(),
                replay_publisher or KafkaReplayPublisher(),
            ),
            downlinks=Downlinks(pool, secrets_key, downlink_ttl),
            downlink_updates=DownlinkUpdates(pool, secrets_key, downlink_ttl),
        )
