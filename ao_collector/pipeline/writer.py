"""The pipeline between receivers and the store: spool on accept, batch by size and time, write with retries."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

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


@dataclass
class PipelineStats:
    accepted_spans: int = 0
    written_spans: int = 0
    written_batches: int = 0
    refused_requests: int = 0
    store_retries: int = 0
    rejected_batches: int = 0
    last_error: str | None = None


class Pipeline:
    """Receivers call `submit`; one writer thread moves sealed spool segments into the store.

    While the store is unavailable the writer retries with backoff and the spool absorbs new exports up
    to its bound. While the store is up but slower than the senders, exports are refused once the spool
    holds more than `max_lag` seconds of writing (at the measured write rate), so that what is accepted
    becomes queryable within seconds instead of queueing for minutes. A batch the store keeps failing on with any other error is moved to `spool/rejected/`
    after `max_attempts_on_error` tries (about 20 s), logged, and kept there: move it back to replay it.
    """

    def __init__(
        self,
        store: Store,
        spool: Spool,
        *,
        linger: float = 0.2,
        retry_initial: float = 0.1,
        retry_max: float = 5.0,
        max_attempts_on_error: int = 10,
        migrated: bool = True,
        max_lag: float = 2.0,
        min_pending_spans: int = 20_000,
    ) -> None:
        self.store = store
        self.spool = spool
        self.linger = linger
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
            segment = self.spool.next_batch(self.linger, stop=self._stop)
            if segment is None:
                if self._stop.is_set():
                    return
                continue
            if not self._write(segment):
                return

    def _write(self, segment: Segment) -> bool:
        """Write one batch until it sticks; False when told to give up."""
        token = self.spool.token(segment)
        payloads = segment.read()  # serialized requests: the store has ClickHouse decode them
        delay = self.retry_initial
        failures = 0
        while True:
            started = time.monotonic()
            try:
                if not self._migrated:
                    self.store.migrate()
                    self._migrated = True
                self.store.write(payloads, token)
            except StoreUnavailable as exc:
                self._note_failure(f"store unavailable: {exc}")
            except Exception as exc:  # noqa: BLE001 - a batch the store cannot take must not stop the pipeline
                failures += 1
                self._note_failure(f"store write failed: {exc!r}")
                log.exception("store write of batch %s failed (attempt %d)", token, failures)
                if failures >= self.max_attempts_on_error:
                    path = self.spool.quarantine(segment)
                    self.stats.rejected_batches += 1
                    log.error("batch %s moved aside to %s after %d failures", token, path, failures)
                    return True
            else:
                self._note_rate(segment.spans, time.monotonic() - started)
                self.spool.ack(segment)
                self.store_ok = True
                self._retry_after = 1.0
                self.stats.written_spans += segment.spans
                self.stats.written_batches += 1
                return True
            if self._abandon.wait(delay):
                return False
            delay = min(delay * 2, self.retry_max)
            self._retry_after = max(1.0, delay)

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
