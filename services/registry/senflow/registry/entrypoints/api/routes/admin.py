"""Customers and network subscriptions: the platform admin's resources."""

from typing import Any

from fastapi import APIRouter, Response

from senflow.registry.entrypoints.api import schemas as s
from senflow.registry.entrypoints.api.auth import Admin, Caller
from senflow.registry.entrypoints.api.routes.common import (
    IfMatch,
    Paging,
    UseCasesDep,
    out,
    page_out,
    plain,
)

router = APIRouter(tags=["customers"])


@router.post("/customers", status_code=201, response_model=s.CustomerOut)
async def create_customer(body: s.CustomerIn, _: Admin, uc: UseCasesDep, response: Response) -> Any:
    """Create a customer (admin), with network subscriptions to the given types."""
    return out(await uc.customers.create(body.name, tuple(body.network_types)), response)


@router.get("/customers", response_model=s.PageOut[s.CustomerOut])
async def list_customers(_: Admin, uc: UseCasesDep, page: Paging) -> Any:
    return page_out(await uc.customers.find(page))


@router.get("/customers/{customer_id}", response_model=s.CustomerOut)
async def get_customer(customer_id: str, _: Admin, uc: UseCasesDep, response: Response) -> Any:
    return out(await uc.customers.get(customer_id), response)


@router.patch("/customers/{customer_id}", response_model=s.CustomerOut)
async def update_customer(
    customer_id: str,
    body: s.CustomerPatch,
    _: Admin,
    uc: UseCasesDep,
    response: Response,
    version: IfMatch,
) -> Any:
    changes = body.model_dump(exclude_none=True)
    return out(await uc.customers.update(customer_id, changes, version), response)


@router.delete("/customers/{customer_id}", status_code=204)
async def delete_customer(customer_id: str, _: Admin, uc: UseCasesDep) -> None:
    """Only a customer that owns nothing can be deleted (409 otherwise): suspend instead."""
    await uc.customers.delete(customer_id)


@router.get(
    "/network-subscriptions", response_model=list[s.SubscriptionOut], tags=["network subscriptions"]
)
async def list_subscriptions(
    caller: Caller, uc: UseCasesDep, customer_id: str | None = None
) -> Any:
    """A customer's network subscriptions (the admin names the customer)."""
    return [plain(x) for x in await uc.subscriptions.of_customer(caller, customer_id)]


@router.put(
    "/network-subscriptions", response_model=s.SubscriptionOut, tags=["network subscriptions"]
)
async def set_subscription(body: s.SubscriptionIn, _: Admin, uc: UseCasesDep) -> Any:
    """Open or change a customer's subscription to one network type (admin)."""
    sub = await uc.subscriptions.set(
        body.customer_id, body.network_type, body.status, body.max_devices
    )
    return plain(sub)
