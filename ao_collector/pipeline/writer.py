"""The pipeline between receivers and the store: spool on accept, batch by size and time, write with retries."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from ao_collector.pipeline.linger import Linger
from ao_collector.pipeline.spool import Segment, Spool, SpoolFull
from ao_collector.store.base import Store, StoreUnavailable

log = logging.getLogger(__name__)


class Backpressure(Exception):
    """The pipeline cannot take more now; `retry_after` seconds is a fair wait.

    `unavailable` (shutting down, spool not writable) is answered as such (HTTP 503, gRPC UNAVAILABLE),
    the rest as overload (HTTP 429, gRPC RESOURCE_EXHAUSTED).
    """

    def __init__(self, message: str, retry_after: float, unavailable: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.unavailable = unavailable


class BatchFailed(Exception):
    """Every request of a batch failed on its own: retried as a whole, like an unavailable store."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _reason(error: Exception) -> str:
    """The store's refusal as one line."""
    return " ".join(f"{type(error).__name__}: {error}".split())[:1000]


@dataclass
class PipelineStats:
    accepted_spans: int = 0
    written_spans: int = 0
    written_batches: int = 0
    refused_requests: int = 0
    store_retries: int = 0
    rejected_batches: int = 0
    rejected_requests: int = 0
    rejected_spans: int = 0
    last_error: str | None = None


class Pipeline:
    """Receivers call `submit`; one writer thread moves sealed spool segments into the store.

    A batch is a spool segment, sealed when full or once `linger` seconds old; under a steady stream the
    linger grows to `linger_max` (see `Linger`), so the store gets fewer, larger inserts.

    While the store is unavailable the writer retries with backoff and the spool absorbs new exports up
    to its bound. While the store is up but slower than the senders, exports are refused once the spool
    holds more than `max_lag` seconds of writing (at the measured write rate), so that what is accepted
    becomes queryable within seconds instead of queueing for minutes.

    A batch the store refuses (any error but StoreUnavailable) is split in halves, recursively, down to the
    requests it refuses on their own; the rest is written at once, and each refused request is moved to
    `spool/rejected/` with its reason (the receivers already refuse what the store's decoder would, so this
    is the last line of defence). When every request of a batch fails, the store is the likely cause: the
    batch is retried, and moved to `spool/rejected/` whole after `max_attempts_on_error` tries (about 20 s);
    move a segment back into the spool to replay it.

    `on_written` is called after each batch is written (the service wakes content matching with it).
    """

    def __init__(
        self,
        store: Store,
        spool: Spool,
        *,
        linger: float = 0.2,
        linger_max: float | None = None,
        retry_initial: float = 0.1,
        retry_max: float = 5.0,
        max_attempts_on_error: int = 10,
        migrated: bool = True,
        max_lag: float = 2.0,
        min_pending_spans: int = 20_000,
        on_written: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.spool = spool
        self.linger = Linger(linger, linger_max)
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.max_attempts_on_error = max_attempts_on_error
        self.stats = PipelineStats()
        self.store_ok = True
        self._migrated = migrated
        self._closing = threading.Event()
        self._stop = threading.Event()
        self._abandon = threading.Event()
        self._thread: threading.Thread | None = None
        self._retry_after = 1.0
        self.max_lag = max_lag
        self.min_pending_spans = min_pending_spans
        self._write_rate: float | None = None  # spans/s of recent writes (moving average)
        self._on_written = on_written

    @property
    def migrated(self) -> bool:
        """Whether the store's schema is known to be current (migrated at start or before the first write)."""
        return self._migrated

    def submit(self, payload: bytes, spans: int) -> None:
        """Spool one serialized request; when this returns, the spans are durable. Raises Backpressure."""
        if self._closing.is_set():
            raise Backpressure("collector is shutting down", retry_after=5.0, unavailable=True)
        pending = self.spool.pending_spans
        if self.store_ok and self._write_rate and pending > self.min_pending_spans:
            lag = pending / self._write_rate
            if lag > self.max_lag:
                self.stats.refused_requests += 1
                raise Backpressure(f"store is behind: {pending} spans wait, about {lag:.1f}s of writing",
                                   retry_after=1.0)
        try:
            self.spool.append(payload, spans)
        except SpoolFull as exc:
            self.stats.refused_requests += 1
            raise Backpressure(str(exc), retry_after=self._retry_after) from None
        except OSError as exc:
            self.stats.refused_requests += 1
            log.error("cannot write the spool: %s", exc)
            raise Backpressure(f"cannot write the spool: {exc.strerror or exc}", retry_after=5.0, unavailable=True) from None
        self.stats.accepted_spans += spans

    def check(self, payload: bytes) -> str | None:
        """Why the store would refuse to decode one serialized request, or None (also when it cannot tell now:
        a batch it then fails on is split down to the failing request at write time)."""
        try:
            return self.store.check(payload)
        except StoreUnavailable as exc:
            log.warning("cannot check a request with the store's decoder now: %s", exc)
            return None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ao-pipeline-writer", daemon=True)
        self._thread.start()

    def close(self, timeout: float = 30.0) -> bool:
        """Refuse new requests, flush everything to the store; True when nothing is left in the spool."""
        self._closing.set()
        self._stop.set()
        self.spool.wake()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("flush did not finish in %.0fs; the spool keeps the rest for the next start", timeout)
                self._abandon.set()
                self._thread.join(5.0)
        return self.spool.pending_segments() == 0

    def _run(self) -> None:
        while True:
            segment = self.spool.next_batch(self.linger.of, stop=self._stop)
            if segment is None:
                if self._stop.is_set():
                    return
                continue
            self.linger.taken(segment.created, time.monotonic())
            if not self._write(segment):
                return

    def _write(self, segment: Segment) -> bool:
        """Write one batch until it sticks; False when told to give up."""
        token = self.spool.token(segment)
        delay = self.retry_initial
        failures = 0
        while True:
            started = time.monotonic()
            try:
                if not self._migrated:
                    self.store.migrate()
                    self._migrated = True
                refused = self._write_isolating(segment, token)
            except StoreUnavailable as exc:
                self._note_failure(f"store unavailable: {exc}")
            except BatchFailed as exc:
                failures += 1
                self._note_failure(f"store write failed: {exc.error!r}")
                log.error("store write of batch %s failed (attempt %d): %r", token, failures, exc.error)
                if failures >= self.max_attempts_on_error:
                    path = self.spool.quarantine(segment, reason=repr(exc.error))
                    self.stats.rejected_batches += 1
                    log.error("batch %s moved aside to %s after %d failures", token, path, failures)
                    return True
            else:
                rejected_spans = 0
                for index, payload, reason in refused:
                    path, spans = self.spool.quarantine_request(segment, index, payload, reason)
                    rejected_spans += spans
                    log.error("request %d of batch %s refused by the store (%s); moved aside to %s", index, token, reason, path)
                self._note_rate(segment.spans, time.monotonic() - started)
                self.spool.ack(segment)
                self.store_ok = True
                self._retry_after = 1.0
                self.stats.written_spans += segment.spans - rejected_spans
                self.stats.written_batches += 1
                self.stats.rejected_requests += len(refused)
                self.stats.rejected_spans += rejected_spans
                if self._on_written is not None:
                    self._on_written()
                return True
            if self._abandon.wait(delay):
                return False
            delay = min(delay * 2, self.retry_max)
            self._retry_after = max(1.0, delay)

    def _write_isolating(self, segment: Segment, token: str) -> list[tuple[int, bytes, str]]:
        """Write the batch (the store reads the segment file in place); when the store refuses it, write the
        parts it takes (bisecting) and return the requests it refuses on their own, as (index, payload,
        reason). Raises StoreUnavailable, and BatchFailed when every request fails (then the store, not the
        data, is the likely cause)."""
        try:
            self.store.write_file(str(segment.path), token)
            return []
        except StoreUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - a request the store cannot take must not stop the others
            log.warning("store refused batch %s (%r); isolating the failing request(s)", token, exc)
            failure = exc
            payloads = segment.read()
            refused = self._isolate(payloads, 0, len(payloads), token, exc)
        if len(refused) == len(payloads):
            raise BatchFailed(failure)
        return [(index, payloads[index], reason) for index, reason in refused]

    def _isolate(self, payloads: list[bytes], lo: int, hi: int, token: str, error: Exception) -> list[tuple[int, str]]:
        """Requests `lo:hi` failed together with `error`: write each half that the store takes, recurse into the others.

        Each part has its own token, derived from the batch's, so a replay after a crash writes it once. A part is
        written only after its decode succeeded, so a part that fails leaves no rows of its own in otel_traces
        (ao's tables, written before it, fold repeated rows)."""
        if hi - lo == 1:
            return [(lo, _reason(error))]
        mid = (lo + hi) // 2
        refused: list[tuple[int, str]] = []
        for start, end in ((lo, mid), (mid, hi)):
            try:
                self.store.write(payloads[start:end], f"{token}.{start}-{end}")
            except StoreUnavailable:
                raise
            except Exception as exc:  # noqa: BLE001
                refused += self._isolate(payloads, start, end, token, exc)
        return refused

    def _note_rate(self, spans: int, seconds: float) -> None:
        """Track the write rate from batches big enough that the store's fixed cost per write does not dominate."""
        if spans < self.spool.segment_max_spans // 4:
            return
        rate = spans / max(seconds, 1e-3)
        self._write_rate = rate if self._write_rate is None else 0.7 * self._write_rate + 0.3 * rate

    def _note_failure(self, message: str) -> None:
        if self.store_ok:
            log.warning("%s; keeping batches in the spool and retrying", message)
        self.store_ok = False
        self.stats.store_retries += 1
        self.stats.last_error = message
