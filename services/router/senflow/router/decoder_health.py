"""Which decoders keep failing, from the outcome of each decode. Pure: no I/O, and the
clock is a parameter, so a sequence of outcomes always gives the same statuses.

A decoder turns `failing` when, among its latest `window` decodes, at least
`min_failures` and at least `min_failure_ratio` of them failed; it is `ok` again after
`ok_after` successes in a row. Recovery starts a fresh window, so a decoder that has just
recovered needs as many new failures again before it is reported once more (no flapping).
A new version of a decoder (a DIY script changed) starts a fresh window but keeps its
status: a fixed script is `ok` once it has decoded `ok_after` uplinks in a row. Failing
decodes are never retried: their uplinks are dead-lettered (`decode-failed`); this only
reports them.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from senflow.common.decoder_status import MAX_LAST_ERROR, DecoderStatus
from senflow.common.latest_changes import LatestChanges


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Track:
    version: int
    window: deque[bool]  # True = failed, oldest first
    failing: bool = False
    successes_in_a_row: int = 0
    last_error: str | None = None


@dataclass
class DecoderHealth:
    """Tracks every decoder's recent outcomes; `record` is cheap enough for the hot path."""

    reporter: str
    window: int = 50
    min_failures: int = 20
    min_failure_ratio: float = 0.5
    ok_after: int = 20
    clock: Callable[[], datetime] = _now
    _tracks: dict[str, _Track] = field(default_factory=dict, init=False, repr=False)
    _pending: LatestChanges[DecoderStatus] = field(
        default_factory=LatestChanges, init=False, repr=False
    )

    def __post_init__(self) -> None:
        if not 0 < self.min_failures <= self.window or not 0 < self.ok_after <= self.window:
            raise ValueError("min_failures and ok_after must be between 1 and window")
        if not 0 < self.min_failure_ratio <= 1:
            raise ValueError("min_failure_ratio must be in (0, 1]")

    def record(
        self, decoder_id: str, version: int, error: Exception | None
    ) -> DecoderStatus | None:
        """Note one decode's outcome; the decoder's new status if this changed it."""
        track = self._tracks.get(decoder_id)
        if track is None or track.version != version:
            failing = track is not None and track.failing
            track = _Track(version, deque(maxlen=self.window), failing=failing)
            self._tracks[decoder_id] = track
        failed = error is not None
        track.window.append(failed)
        if failed:
            track.last_error = (str(error) or type(error).__name__)[:MAX_LAST_ERROR]
            track.successes_in_a_row = 0
        else:
            track.successes_in_a_row += 1
        if not track.failing and failed and self._too_many_failures(track.window):
            track.failing = True
            return self._changed(decoder_id, track)
        if track.failing and track.successes_in_a_row >= self.ok_after:
            track.failing = False
            track.window = deque([False] * track.successes_in_a_row, maxlen=self.window)
            return self._changed(decoder_id, track)
        return None

    def drain(self) -> list[DecoderStatus]:
        """The status changes not yet taken, latest per decoder, oldest change first."""
        return self._pending.drain()

    def _too_many_failures(self, window: deque[bool]) -> bool:
        failures = sum(window)
        return failures >= self.min_failures and failures >= self.min_failure_ratio * len(window)

    def _changed(self, decoder_id: str, track: _Track) -> DecoderStatus:
        status = DecoderStatus(
            decoder_id=decoder_id,
            decoder_version=track.version,
            status="failing" if track.failing else "ok",
            failures=sum(track.window),
            decodes=len(track.window),
            last_error=track.last_error,
            changed_at=self.clock(),
            reporter=self.reporter,
        )
        self._pending.put(decoder_id, status)
        return status
