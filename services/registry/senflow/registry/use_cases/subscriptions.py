"""Network subscriptions: which network types a customer may use, and how many devices."""

import uuid
from dataclasses import dataclass
from typing import Any

from senflow.common.events import NetworkType
from senflow.registry.adapters import store
from senflow.registry.domain.principal import Principal
from senflow.registry.use_cases.api_keys import key_owner
from senflow.registry.use_cases.base import UseCases


@dataclass(frozen=True)
class Subscription:
    id: str
    customer_id: str
    network_type: str
    status: str
    max_devices: int | None
    version: int


class Subscriptions(UseCases):
    async def of_customer(self, p: Principal, customer_id: str | None) -> list[Subscription]:
        owner = key_owner(p, customer_id, scope="read")
        async with self._read() as conn:
            rows = await conn.fetch(
                "SELECT * FROM network_subscriptions WHERE customer_id = $1 ORDER BY network_type",
                store.as_uuid(owner, "customer"),
            )
        return [_subscription(r) for r in rows]

    async def set(
        self,
        customer_id: str,
        network_type: NetworkType,
        status: str,
        max_devices: int | None,
    ) -> Subscription:
        """Admin: create or change a customer's subscription to one network type."""
        async with self._transaction() as conn:
            await store.customer(conn, customer_id)
            row = await conn.fetchrow(
                "INSERT INTO network_subscriptions (id, customer_id, network_type, status,"
                " max_devices) VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (customer_id, network_type) DO UPDATE SET status = $4,"
                " max_devices = $5, version = network_subscriptions.version + 1,"
                " updated_at = now() RETURNING *",
                uuid.uuid4(),
                uuid.UUID(customer_id),
                network_type,
                status,
                max_devices,
            )
        return _subscription(row)


def _subscription(r: Any) -> Subscription:
    return Subscription(
        id=str(r["id"]),
        customer_id=str(r["customer_id"]),
        network_type=r["network_type"],
        status=r["status"],
        max_devices=r["max_devices"],
        version=r["version"],
    )
