"""Liveness and readiness of a running collector, for `/livez` and `/readyz` (Kubernetes probes).

- **Live** unless its writer is stuck: one batch write running for longer than `stall_after` seconds,
  or spans waiting in the spool with no write started for that long. A store outage is *not* a
  liveness failure (the writer keeps retrying; a restart would not help).
- **Ready** when it can take exports and answer queries: started and not shutting down, the store
  answers, its schema has every migration of this version (read from `schema_migrations`), and the
  spool is under 90 % of its bound. The store is asked at most every `cache_seconds`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from ao_collector.ops.metrics import ServiceState, TimedStore
from ao_collector.schema import load
from ao_collector.store.base import Store

SPOOL_READY_FRACTION = 0.9


@dataclass
class ProbeResult:
    """A probe's answer: `ok`, and per check `"ok"` or what is wrong."""

    ok: bool
    checks: dict[str, str] = field(default_factory=dict)

    def body(self, name: str) -> dict[str, object]:
        return {"status": name if self.ok else f"not {name}", "checks": self.checks}


class Probes:
    """The two probes of one collector service."""

    def __init__(
        self,
        service: ServiceState,
        store: Store,
        writer_store: TimedStore,
        *,
        cluster: str | None,
        stopping: Callable[[], bool],
        stall_after: float = 300.0,
        cache_seconds: float = 2.0,
    ) -> None:
        self.service = service
        self.store = store
        self.writer_store = writer_store
        self.stopping = stopping
        self.stall_after = stall_after
        self.cache_seconds = cache_seconds
        _, migrations = load(store.database, cluster)
        self.schema_version = max((m.version for m in migrations), default=0)
        self._created = time.monotonic()
        self._lock = threading.Lock()
        self._store_check: tuple[float, str] | None = None

    def liveness(self) -> ProbeResult:
        now = time.monotonic()
        writer = self.writer_store
        spool = self.service.spool
        check = "ok"
        if writer.writing_since is not None and now - writer.writing_since > self.stall_after:
            check = f"a store write has been running for {now - writer.writing_since:.0f}s"
        elif spool is not None and spool.pending_spans and now - (writer.last_write_started or self._created) > self.stall_after:
            check = f"{spool.pending_spans} spans wait and no write started for over {self.stall_after:.0f}s"
        return ProbeResult(check == "ok", {"writer": check})

    def readiness(self) -> ProbeResult:
        checks: dict[str, str] = {}
        spool = self.service.spool
        if self.service.pipeline is None or spool is None:
            checks["service"] = "starting"
        elif self.stopping():
            checks["service"] = "shutting down"
        else:
            checks["service"] = "ok"
        checks["store"] = self._check_store()
        if spool is not None:
            full = spool.pending_bytes / spool.max_bytes if spool.max_bytes else 0.0
            checks["spool"] = "ok" if full < SPOOL_READY_FRACTION else f"spool at {full:.0%} of its bound"
        return ProbeResult(all(value == "ok" for value in checks.values()), checks)

    def is_ready(self) -> bool:
        return self.readiness().ok

    def _check_store(self) -> str:
        """Whether the store answers with the whole schema, asked at most every `cache_seconds`."""
        with self._lock:
            now = time.monotonic()
            if self._store_check is not None and now - self._store_check[0] < self.cache_seconds:
                return self._store_check[1]
            try:
                rows = self.store.query(f"SELECT max(Version) AS v FROM {self.store.database}.schema_migrations")
            except Exception as exc:  # noqa: BLE001 - any failure is an answer of the probe, not an error of the API
                first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
                result = f"store does not answer with ao's schema: {first_line[:300]}"
            else:
                version = int(rows[0]["v"] or 0) if rows else 0
                result = "ok" if version >= self.schema_version else (
                    f"schema at version {version}, this collector needs {self.schema_version} (migration pending)")
            self._store_check = (now, result)
            return result
