"""What `senflow dlq replay` asks the registry to replay, and asking it.

Two kinds of request, as the API has them: named entries, one `POST …/{entry_id}/replay`
each (`--force` replays one that was replayed before), or a selection, one
`POST …/replay` with since/until/reason (`--force` takes entries replayed before too).
A replay publishes the dead letter again with its delivery id; the dispatcher delivers it
like a new one, and a receiver that got it after all deduplicates it.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from senflow.cli.api_client import ApiError, RegistryClient
from senflow.cli.tail_since import parse_moment
from senflow.common.errors import SenflowError


class InvalidReplay(SenflowError, ValueError):
    """The arguments name no replay, or two kinds at once; the message says what to give."""


@dataclass(frozen=True)
class ReplayPlan:
    """Either `entry_ids`, or a selection (`since`, `until`, `reason`; none = all)."""

    entry_ids: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    reason: str | None = None
    force: bool = False

    @classmethod
    def of(
        cls,
        entry_ids: list[str],
        replay_all: bool,
        since: str | None,
        until: str | None,
        reason: str | None,
        force: bool,
        now: datetime,
    ) -> "ReplayPlan":
        """From the command line. A selection must be asked for (`--all`, `--from`,
        `--until` or `--reason`): a bare `replay` replaying everything would be too easy a
        slip for a command that writes."""
        selecting = replay_all or since is not None or until is not None or reason is not None
        if entry_ids and selecting:
            raise InvalidReplay("give entry ids, or --all / --from / --until / --reason: not both")
        if not entry_ids and not selecting:
            raise InvalidReplay("give entry ids, --all, or a range (--from/--until/--reason)")
        if replay_all and (since is not None or until is not None):
            raise InvalidReplay("--all replays every entry: drop --from/--until, or --all")
        start = parse_moment(since, now) if since is not None else None
        end = parse_moment(until, now) if until is not None else None
        if start is not None and end is not None and start >= end:
            raise InvalidReplay("--from must be before --until")
        return cls(tuple(entry_ids), start, end, reason, force)

    def selection_body(self) -> dict[str, Any]:
        """The body of `POST …/dead-letters/replay`."""
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "reason": self.reason,
            "include_replayed": self.force,
        }


@dataclass(frozen=True)
class Refused:
    entry_id: str | None  # None for a selection
    error: ApiError
    hint: str | None = None


@dataclass
class ReplayResult:
    replayed: int = 0
    refused: list[Refused] = field(default_factory=list)


def dead_letters_path(destination_id: str) -> str:
    """The API path of a destination's dead letters (ids quoted: they come from a user)."""
    return f"/destinations/{quote(destination_id, safe='')}/dead-letters"


def entry_path(destination_id: str, entry_id: str) -> str:
    return f"{dead_letters_path(destination_id)}/{quote(entry_id, safe='')}"


async def replay(client: RegistryClient, destination_id: str, plan: ReplayPlan) -> ReplayResult:
    """Named entries one by one, in the order given, going on past a refused one; a
    selection in one request. `ApiUnreachable` ends it: what went before stays replayed."""
    base = dead_letters_path(destination_id)
    result = ReplayResult()
    if not plan.entry_ids:
        try:
            answer = await client.post(base + "/replay", plan.selection_body())
            result.replayed = int(answer["replayed"])
        except ApiError as err:
            result.refused.append(Refused(None, err))
        return result
    for entry_id in plan.entry_ids:
        path = entry_path(destination_id, entry_id)
        try:
            answer = await client.post(path + "/replay", params={"force": plan.force})
            result.replayed += int(answer["replayed"])
        except ApiError as err:
            hint = await _hint(client, path, err) if not plan.force else None
            result.refused.append(Refused(entry_id, err, hint))
    return result


async def _hint(client: RegistryClient, entry_path: str, err: ApiError) -> str | None:
    # A 409 is a replay refused twice, or a disabled destination; only the first one
    # --force can help with, so ask the entry itself rather than read the message.
    if err.status != 409:
        return None
    try:
        entry = await client.get(entry_path)
    except ApiError:
        return None
    if isinstance(entry, dict) and entry.get("replayed_at"):
        return "it was replayed before: add --force to replay it again"
    return None
