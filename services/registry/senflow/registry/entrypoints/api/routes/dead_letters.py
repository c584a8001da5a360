"""A destination's dead letters, and replaying them."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from senflow.registry.domain.dead_letters import DeadLetterFilter
from senflow.registry.entrypoints.api import schemas as s
from senflow.registry.entrypoints.api.auth import Caller
from senflow.registry.entrypoints.api.routes.common import UseCasesDep
from senflow.registry.use_cases.dead_letters import Parked

router = APIRouter(tags=["dead letters"])
PATH = "/destinations/{destination_id}/dead-letters"


@router.get(PATH, response_model=s.DeadLettersOut)
async def list_dead_letters(
    destination_id: str,
    caller: Caller,
    uc: UseCasesDep,
    since: Annotated[
        AwareDatetime | None, Query(description="Dead-lettered at or after (with a time zone)")
    ] = None,
    until: Annotated[
        AwareDatetime | None, Query(description="Dead-lettered before (with a time zone)")
    ] = None,
    reason: Annotated[
        str | None, Query(max_length=100, description="Only this reason, e.g. http-status")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Items to answer")] = 100,
) -> Any:
    """The deliveries to this destination that were dead-lettered, newest first: up to
    14 days back (the topic's retention) and the latest 10,000, with why (reason, status,
    the receiver's answer) and whether they were replayed. `total` counts all that match;
    for older ones ask again with `until` = the oldest `dead_lettered_at` you got."""
    selected = DeadLetterFilter(since, until, reason)
    found, total = await uc.dead_letters.find(caller, destination_id, selected, limit)
    return {"items": [_out(parked) for parked in found], "total": total}


@router.get(PATH + "/{entry_id}", response_model=s.DeadLetterDetailOut)
async def get_dead_letter(
    destination_id: str, entry_id: str, caller: Caller, uc: UseCasesDep
) -> Any:
    """One dead letter, with the SenML pack it would have delivered."""
    parked = await uc.dead_letters.get(caller, destination_id, entry_id)
    return {**_out(parked), "body": parked.entry.body}


@router.post(PATH + "/replay", status_code=202, response_model=s.ReplayedOut)
async def replay_dead_letters(
    destination_id: str, body: s.DeadLetterReplayIn, caller: Caller, uc: UseCasesDep
) -> Any:
    """Publish the matching dead letters again, in the order they were parked; without
    filters, all that were never replayed. The dispatcher delivers them like new ones,
    with the same delivery ids. At most 10,000 per request (400 above: narrow the range);
    a disabled destination is a 409."""
    selected = DeadLetterFilter(body.since, body.until, body.reason, body.include_replayed)
    return {"replayed": await uc.dead_letters.replay_matching(caller, destination_id, selected)}


@router.post(PATH + "/{entry_id}/replay", status_code=202, response_model=s.ReplayedOut)
async def replay_dead_letter(
    destination_id: str,
    entry_id: str,
    caller: Caller,
    uc: UseCasesDep,
    force: Annotated[bool, Query(description="Replay it even if it was replayed before")] = False,
) -> Any:
    """Publish one dead letter again, with the same delivery id. One replayed before is
    a 409 unless `force=true`; a disabled destination is a 409."""
    replayed = await uc.dead_letters.replay_one(caller, destination_id, entry_id, force)
    return {"replayed": replayed}


def _out(parked: Parked) -> dict[str, Any]:
    entry, replayed = parked.entry, parked.replayed
    return {
        "id": entry.id,
        "message_id": entry.message_id,
        "delivery_id": entry.delivery_id,
        "device_id": entry.device_id,
        "flow_id": entry.flow_id,
        "reason": entry.reason,
        "detail": entry.detail,
        "status_code": entry.status_code,
        "attempts": entry.attempts,
        "response_excerpt": entry.response_excerpt,
        "dead_lettered_at": entry.dead_lettered_at,
        "replay_of": entry.replay_of,
        "replayed_at": replayed.replayed_at if replayed else None,
        "replayed_by": replayed.replayed_by if replayed else None,
    }
