"""How long a batch may wait for more spans: short while spans come now and then, longer while they keep coming."""

from __future__ import annotations


class Linger:
    """The linger of the next batch, between `low` and `high` seconds.

    Every insert costs the store about a tenth of a second of CPU whatever its size (query analysis of the
    decode and of the views), and leaves a part per table to merge. Under a steady stream, batches sealed
    every `low` seconds spend most of the store's time on that. So when a batch begins before the linger of
    the one taken before it ran out (spans keep coming), the linger doubles, up to `high`; a batch that
    begins after a pause brings it back to `low`, so the spans of a lone run are queryable as soon as before.
    """

    def __init__(self, low: float, high: float | None = None) -> None:
        self.low = low
        self.high = low if high is None else max(low, high)
        self.seconds = low
        self._last_taken: float | None = None

    def of(self, created: float) -> float:
        """The linger of a batch begun at `created` (`time.monotonic()`)."""
        if self._last_taken is None or created - self._last_taken >= self.seconds:
            return self.low
        return min(self.high, max(self.seconds * 2, 0.001))

    def taken(self, created: float, now: float) -> None:
        """The batch begun at `created` was taken for writing at `now`."""
        self.seconds = self.of(created)
        self._last_taken = now
