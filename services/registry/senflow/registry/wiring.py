"""The set of use cases the API calls, built once from the pool and the platform key."""

from dataclasses import dataclass

import asyncpg

from senflow.registry.use_cases.api_keys import ApiKeys
from senflow.registry.use_cases.bulk_import import BulkImport
from senflow.registry.use_cases.catalogue import Catalogue
from senflow.registry.use_cases.customers import Customers
from senflow.registry.use_cases.decoder_trials import DecoderTrials
from senflow.registry.use_cases.destinations import Destinations
from senflow.registry.use_cases.devices import Devices
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
    destinations: Destinations
    flows: Flows
    catalogue: Catalogue
    decoder_trials: DecoderTrials
    bulk_import: BulkImport

    @classmethod
    def build(cls, pool: asyncpg.Pool, secrets_key: bytes) -> "UseCaseSet":
        catalogue = Catalogue(pool, secrets_key)
        return cls(
            customers=Customers(pool, secrets_key),
            api_keys=ApiKeys(pool, secrets_key),
            subscriptions=Subscriptions(pool, secrets_key),
            projects=Projects(pool, secrets_key),
            devices=Devices(pool, secrets_key),
            destinations=Destinations(pool, secrets_key),
            flows=Flows(pool, secrets_key),
            catalogue=catalogue,
            decoder_trials=DecoderTrials(catalogue),
            bulk_import=BulkImport(pool, secrets_key),
        )
