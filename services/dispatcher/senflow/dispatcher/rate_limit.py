"""Pacing of attempts to one destination: a token bucket. Pure: the caller passes the time.

Reservations may run into debt: each `reserve` takes a token at once and answers how long
to wait until it is due, so concurrent callers (a destination's lane slots) are spaced
evenly in the order they asked, without polling.
"""


class TokenBucket:
    """At most `rate_per_s` events per second on average, and `burst` at once."""

    def __init__(self, rate_per_s: float, burst: float = 1.0, now: float = 0.0) -> None:
        if rate_per_s <= 0:
            raise ValueError("rate_per_s must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate_per_s = rate_per_s
        self._burst = burst
        self._tokens = burst  # negative: tokens promised to callers still waiting
        self._at = now

    def reserve(self, now: float) -> float:
        """Take a token; returns the seconds to wait before using it (0: at once)."""
        if now > self._at:
            self._tokens = min(self._burst, self._tokens + (now - self._at) * self.rate_per_s)
            self._at = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate_per_s
