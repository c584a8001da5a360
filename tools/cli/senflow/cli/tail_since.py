"""Reading a moment from the command line: `10m` (ago) or a time with its zone.

`senflow tail --since` and `senflow dlq replay --from/--until` take the same forms:

- a duration back from now: a number and a unit, `s`, `m`, `h`, `d` or `w`, several
  of them summed (`90s`, `10m`, `1h30m`, `2d`), at most 100 years;
- an ISO 8601 time with a zone: `2026-11-25T10:00:00Z`, `2026-11-25 11:00+01:00`.

A time without a zone is refused rather than guessed: the platform's times are UTC and an
operator's terminal may not be, so a silent guess could be hours off.
"""

import re
from datetime import datetime, timedelta

from senflow.common.errors import SenflowError

_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
# Longer makes no sense for messages or dead letters, and far longer would not fit a
# datetime at all (OverflowError).
MAX_DURATION_S = 100 * 365 * 86_400
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?[smhdw])+")
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


class InvalidMoment(SenflowError, ValueError):
    """The text is neither a duration nor a time with a zone; the message says which forms
    work."""


def parse_moment(text: str, now: datetime) -> datetime:
    """The moment `text` names: `now` minus a duration, or the time it gives (aware)."""
    cleaned = text.strip().lower()
    if _DURATION.fullmatch(cleaned):
        seconds = sum(float(n) * _UNIT_S[unit] for n, unit in _PART.findall(cleaned))
        if seconds > MAX_DURATION_S:
            raise InvalidMoment(f"{text!r} is more than 100 years back: give a time instead")
        return now - timedelta(seconds=seconds)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidMoment(
            f"{text!r} is neither a duration (10m, 1h30m, 2d) nor a time (2026-11-25T10:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        raise InvalidMoment(f"{text!r} has no time zone: add one, e.g. Z or +01:00")
    return moment
