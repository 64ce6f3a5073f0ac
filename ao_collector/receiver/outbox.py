"""The batches that `ao-instrument` runs kept for this collector while it was down, taken in when it starts.

A run whose spans could not reach the local collector keeps them in `$AO_HOME/outbox/`, each file named
for the port it was sent to (`ao_instrument.launcher.outbox_folder`). At start, the collector spools the
files named for its own OTLP ports, as if they had been received over OTLP/HTTP, and removes each once it
is durable. Files for other endpoints are left to the next run, which sends them where they were going.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from ao_collector.ops.metrics import MeteredIntake
from ao_collector.pipeline.writer import Backpressure
from ao_collector.receiver.otlp import BadRequest, parse_protobuf, store_payload, validate
from ao_instrument.launcher.outbox_folder import Outbox

log = logging.getLogger(__name__)


class OutboxIntake:
    """Spools, in a thread of its own, the outbox files kept for `ports` on this machine."""

    def __init__(self, intake: MeteredIntake, directory: Path, ports: tuple[int, ...]) -> None:
        self._intake = intake
        self._outbox = Outbox(directory, max_bytes=0)
        self._tags = tuple(f"local{port}" for port in ports)
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.taken = 0  # files spooled
        self.spans = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="ao-outbox-intake", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Take no further file; wait for the one being spooled."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Take every file now there; stops at the first one the pipeline cannot take (it stays)."""
        self._outbox.take_back_abandoned()
        for path in self._outbox.files(self._tags):
            if self._stopping.is_set():
                return
            claimed = self._outbox.claim(path)
            if claimed is None:  # a run is sending it
                continue
            try:
                payload = claimed.read_bytes()
                request = parse_protobuf(payload)
                accepted = validate(request, payload)
                if accepted.payload is not None:
                    self._intake.submit(store_payload(request, accepted.payload, self._intake.check), accepted.spans)
            except BadRequest as exc:
                log.error("outbox file %s cannot be stored (%s)", path.name, exc)
                self._outbox.set_aside(claimed)
                continue
            except (Backpressure, OSError) as exc:
                log.warning("outbox: %s left for later (%s)", path.name, exc)
                self._outbox.release(claimed)
                return
            claimed.unlink(missing_ok=True)
            self.taken += 1
            self.spans += accepted.spans
        if self.taken:
            log.info("took %d spans from %d outbox files in %s", self.spans, self.taken, self._outbox.directory)
