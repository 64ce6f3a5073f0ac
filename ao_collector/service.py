"""The collector service: OTLP receivers → pipelines (spool, batches) → store, plus the API; start and graceful stop.

Traces have their pipeline; OTLP metrics and logs one each (`receiver.otlp_signals`), spooled in
`<spool>/metrics` and `<spool>/logs`."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import signal
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import uvicorn

from ao_collector.api.app import create_app
from ao_collector.autostart import ao_home
from ao_collector.ops.operations import Operations
from ao_collector.pipeline.content_matching import ContentMatching, MatchingLoop
from ao_collector.pipeline.signal_store import SignalStore
from ao_collector.pipeline.spool import SEGMENT_MAX_BYTES, SEGMENT_MAX_SPANS, Spool
from ao_collector.pipeline.writer import Pipeline
from ao_collector.receiver.http_limits import ReadLimits, guarded_protocol
from ao_collector.receiver.otlp import DEFAULT_MAX_BODY
from ao_collector.receiver.otlp_grpc import GrpcReceiver
from ao_collector.receiver.otlp_http import HttpReceiver
from ao_collector.receiver.otlp_signals import SIGNALS, Signal
from ao_collector.receiver.outbox import OutboxIntake
from ao_collector.replay.runner import ReplayRunner
from ao_collector.store import open_store
from ao_collector.store.base import Store, StoreUnavailable
from ao_instrument.launcher.home import OUTBOX_NAME

log = logging.getLogger("ao_collector")


class ConfigError(Exception):
    """The service cannot start with this configuration."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class ServiceConfig:
    """Everything `ao-collector serve` can set."""

    data_dir: Path | None = None
    clickhouse_url: str | None = None
    database: str = "ao"
    cluster: str | None = None
    host: str = "127.0.0.1"
    grpc_port: int = 4317
    http_port: int = 4318
    api_port: int = 4320
    api_token: str | None = field(default_factory=lambda: os.environ.get("AO_API_TOKEN") or None)
    spool_dir: Path | None = None
    spool_max_bytes: int = 512 << 20
    # Batch bounds; None: by the store. The embedded store merges its own parts, so larger batches save it
    # merges (bench/README.md, issue 11); with a ClickHouse server the collector only copies and sends them,
    # and 10,000 spans / 32 MB cost it less per span.
    batch_max_spans: int | None = None
    batch_max_bytes: int | None = None
    batch_linger: float = 0.2
    batch_linger_max: float = 1.0  # the linger under a steady stream (pipeline/linger.py); never below batch_linger
    max_lag: float = 2.0
    fsync: bool = True
    max_body: int = DEFAULT_MAX_BODY
    read_limits: ReadLimits = field(default_factory=ReadLimits)
    shutdown_timeout: float = 30.0
    allow_replay: bool = False
    # Where `ao-instrument` keeps the spans it could not deliver; those meant for this collector's ports are
    # taken in at start (None: not read).
    outbox_dir: Path | None = field(default_factory=lambda: ao_home() / OUTBOX_NAME)

    def resolved_data_dir(self) -> Path | None:
        """The chDB data dir (None with a ClickHouse server)."""
        if self.clickhouse_url:
            return None
        return Path(self.data_dir).expanduser() if self.data_dir else ao_home()

    def resolved_spool_dir(self) -> Path:
        if self.spool_dir:
            return Path(self.spool_dir).expanduser()
        return (self.resolved_data_dir() or ao_home()) / "spool"

    def batch_bounds(self) -> tuple[int, int]:
        """(most spans, most request bytes) of a batch."""
        spans, size = (10_000, 32 << 20) if self.clickhouse_url else (SEGMENT_MAX_SPANS, SEGMENT_MAX_BYTES)
        return (spans if self.batch_max_spans is None else self.batch_max_spans,
                size if self.batch_max_bytes is None else self.batch_max_bytes)

    def check(self) -> None:
        if self.clickhouse_url and self.data_dir:
            raise ConfigError("give either --data-dir or --clickhouse-url, not both")
        if not is_loopback(self.host) and not self.api_token:
            raise ConfigError(f"refusing to serve on non-loopback host {self.host} without AO_API_TOKEN set")
        spans, size = self.batch_bounds()
        if spans < 1 or size < 1 << 20:
            raise ConfigError("a batch needs room for at least 1 span and 1 MB (--batch-max-spans, --batch-max-mb)")
        if self.batch_linger < 0 or self.batch_linger_max < 0:
            raise ConfigError("--batch-linger-ms and --batch-linger-max-ms cannot be negative")


def _listen(host: str, port: int) -> socket.socket:
    """Bind a listening TCP socket here, so a taken port is a clear error before anything starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


class _HttpServers:
    """uvicorn servers sharing one event loop in a background thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="ao-http", daemon=True)
        self.thread.start()
        self.running: dict[str, tuple[uvicorn.Server, Future[None]]] = {}

    def serve(self, name: str, app: Any, sock: socket.socket, limits: ReadLimits) -> None:
        config = uvicorn.Config(
            app,
            http=guarded_protocol(limits),  # header timeout and connection bounds instead of limit_concurrency
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
            timeout_graceful_shutdown=10,
        )
        server = uvicorn.Server(config)
        future = asyncio.run_coroutine_threadsafe(server.serve(sockets=[sock]), self.loop)
        self.running[name] = (server, future)

    def wait_started(self, timeout: float = 10.0) -> None:
        for name, (server, future) in self.running.items():
            for _ in range(int(timeout / 0.01)):
                if server.started or future.done():
                    break
                time.sleep(0.01)
            if future.done():
                future.result()
            if not server.started:
                raise RuntimeError(f"{name} server did not start")

    def stop(self, name: str, timeout: float = 15.0) -> None:
        server, future = self.running.pop(name)
        server.should_exit = True
        future.result(timeout)

    def close(self) -> None:
        for name in list(self.running):
            self.stop(name)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5.0)


class CollectorService:
    """One running collector; `start()` then `stop()` (or `run()` until SIGINT/SIGTERM)."""

    def __init__(self, config: ServiceConfig, store: Store | None = None) -> None:
        config.check()
        self.config = config
        self._store = store
        self.store: Store | None = None
        self.spool: Spool | None = None
        self.pipeline: Pipeline | None = None
        self.signal_pipelines: dict[str, Pipeline] = {}  # metrics and logs, by signal name
        self.grpc: GrpcReceiver | None = None
        self.http: _HttpServers | None = None
        self.ops: Operations | None = None
        self.ports: dict[str, int] = {}
        self.api_replays: ReplayRunner | None = None
        self.outbox: OutboxIntake | None = None
        self.matching: MatchingLoop | None = None
        self._stopped = threading.Event()

    def start(self) -> None:
        cfg = self.config
        sockets = {
            "http": _listen(cfg.host, cfg.http_port),
            "api": _listen(cfg.host, cfg.api_port),
        }
        try:
            self.spool = self._spool(cfg.resolved_spool_dir())
            self.store = self._store or open_store(
                data_dir=cfg.resolved_data_dir(),
                clickhouse_url=cfg.clickhouse_url,
                database=cfg.database,
                cluster=cfg.cluster,
            )
            self.ops = Operations(self, self.store, cluster=cfg.cluster, stopping=self._stopped.is_set)
            migrated = self._migrate()
            self.matching = MatchingLoop(ContentMatching(self.store), ready=lambda: self.pipeline is not None
                                         and self.pipeline.migrated)
            self.pipeline = self._pipeline(self.ops.writer_store, self.spool, migrated, on_written=self.matching.wake)
            self.pipeline.start()
            self.matching.start()
            signals = self._start_signal_pipelines(migrated)
            # Exposed beyond loopback, the OTLP ports take the API's token too.
            otlp_token = None if is_loopback(cfg.host) else cfg.api_token
            self.grpc = GrpcReceiver(self.ops.intake(self.pipeline, "grpc"), cfg.host, cfg.grpc_port, max_body=cfg.max_body,
                                     signals={s: self.ops.intake(p, "grpc", s) for s, p in signals.items()},
                                     token=otlp_token, interceptors=self.ops.grpc_interceptors())
            self.grpc.start()
            self.ports = {
                "grpc": self.grpc.port,
                "http": sockets["http"].getsockname()[1],
                "api": sockets["api"].getsockname()[1],
            }
            self.http = _HttpServers()
            otlp_http = HttpReceiver(self.ops.intake(self.pipeline, "http"),
                                     signals={s: self.ops.intake(p, "http", s) for s, p in signals.items()},
                                     max_body=cfg.max_body, token=otlp_token, limits=cfg.read_limits)
            self.http.serve("otlp-http", self.ops.http_app(otlp_http.app), sockets["http"], cfg.read_limits)
            replays = ReplayRunner(cfg.allow_replay, (cfg.resolved_data_dir() or ao_home()) / "replays",
                                   f"http://127.0.0.1:{self.ports['api']}", f"http://127.0.0.1:{self.ports['http']}",
                                   cfg.api_token)
            self.api_replays = replays
            api = create_app(self.store, self.health, cfg.api_token, replays)
            api.include_router(self.ops.router())
            self.http.serve("api", api, sockets["api"], cfg.read_limits)
            self.http.wait_started()
            if cfg.outbox_dir is not None:
                self.outbox = OutboxIntake(self.ops.intake(self.pipeline, "outbox"), Path(cfg.outbox_dir).expanduser(),
                                           (self.ports["http"], self.ports["grpc"]))
                self.outbox.start()
        except BaseException:
            for sock in sockets.values():
                sock.close()
            self.stop()
            raise
        log.info(
            "ao-collector ready: OTLP/gRPC %s:%d, OTLP/HTTP %s:%d, API http://%s:%d (store: %s, spool: %s)",
            cfg.host, self.ports["grpc"], cfg.host, self.ports["http"], cfg.host, self.ports["api"],
            cfg.clickhouse_url or cfg.resolved_data_dir(), self.spool.directory,
        )

    def _spool(self, directory: Path) -> Spool:
        """A spool in `directory`, its segments (the batches) bounded as configured."""
        cfg = self.config
        spans, size = cfg.batch_bounds()
        return Spool(directory, max_bytes=cfg.spool_max_bytes, segment_max_spans=spans, segment_max_bytes=size,
                     fsync=cfg.fsync)

    def _pipeline(self, store: Store, spool: Spool, migrated: bool,
                  on_written: Callable[[], None] | None = None) -> Pipeline:
        """A pipeline from `spool` to `store`, lingering and backing off as configured."""
        cfg = self.config
        return Pipeline(store, spool, linger=cfg.batch_linger, linger_max=cfg.batch_linger_max, migrated=migrated,
                        max_lag=cfg.max_lag, on_written=on_written)

    def _start_signal_pipelines(self, migrated: bool) -> dict[Signal, Pipeline]:
        """A spool and pipeline for each of metrics and logs, writing once the trace pipeline has migrated."""
        cfg = self.config
        assert self.store is not None and self.pipeline is not None
        trace_pipeline = self.pipeline
        pipelines: dict[Signal, Pipeline] = {}
        for signal in SIGNALS:
            spool = self._spool(cfg.resolved_spool_dir() / signal.name)
            store = SignalStore(self.store, signal.rows, migrated=lambda: trace_pipeline.migrated)
            pipeline = self._pipeline(store, spool, migrated)  # type: ignore[arg-type]
            pipeline.start()
            pipelines[signal] = self.signal_pipelines[signal.name] = pipeline
        return pipelines

    def _migrate(self) -> bool:
        """Create or upgrade the schema now; with the store down, the pipeline does it before its first write."""
        assert self.store is not None
        try:
            self.store.migrate()
        except StoreUnavailable as exc:
            log.warning("store unavailable at start (%s); spans are spooled until it answers", exc)
            return False
        return True

    def health(self) -> dict[str, Any]:
        """What `/healthz` answers: ports, whether the store took the last write, pipeline counters."""
        store: dict[str, Any] = {
            "backend": "clickhouse" if self.config.clickhouse_url else "chdb",
            "database": self.config.database,
            "data_dir": str(self.config.resolved_data_dir() or ""),
        }
        # From the writer's last attempt, not a query here: a health check must not wait behind a long insert.
        error = None if self.pipeline is None or self.pipeline.store_ok else self.pipeline.stats.last_error
        store["ok"] = self.store is not None and error is None
        if error is not None:
            store["error"] = error
        pipeline: dict[str, Any] = {}
        if self.pipeline is not None and self.spool is not None:
            pipeline = dict(vars(self.pipeline.stats))
            pipeline["pending_spans"] = self.spool.pending_spans
            pipeline["spool_bytes"] = self.spool.pending_bytes
        signals = {name: {"written": p.stats.written_spans, "pending": p.spool.pending_spans}
                   for name, p in self.signal_pipelines.items()}
        return {
            "status": "ok",
            "service": "ao-collector",
            "pid": os.getpid(),
            "host": self.config.host,
            "ports": self.ports,
            "store": store,
            "pipeline": pipeline,
            "signals": signals,  # OTLP metric data points and log records
        }

    def stop(self) -> None:
        """Graceful stop: refuse new data, flush the pipeline, then close the API and the store."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        timeout = self.config.shutdown_timeout
        if self.outbox is not None:
            self.outbox.stop()
        if self.http is not None and "otlp-http" in self.http.running:
            self.http.stop("otlp-http")
        if self.grpc is not None:
            self.grpc.stop(grace=5.0)
        # Each pipeline flushes in its own thread, so the stop waits for the slowest, not for their sum.
        pipelines = {name: p for name, p in [("spans", self.pipeline), *self.signal_pipelines.items()] if p is not None}
        if pipelines:
            with ThreadPoolExecutor(len(pipelines), thread_name_prefix="ao-flush") as pool:
                flushed = dict(zip(pipelines, pool.map(lambda p: p.close(timeout), pipelines.values())))
            for name, pipeline in pipelines.items():
                if not flushed[name]:
                    log.warning("store did not take everything; %d %s wait in the spool for the next start",
                                pipeline.spool.pending_spans, name)
        if self.matching is not None:
            self.matching.stop()
        for spool in [self.spool, *(p.spool for p in self.signal_pipelines.values())]:
            if spool is not None:
                spool.close()
        if self.http is not None:
            self.http.close()
        if self.store is not None and self._store is None:
            self.store.close()
        log.info("ao-collector stopped")

    def run(self) -> None:
        """Start, serve until SIGINT or SIGTERM, then stop gracefully (a second signal exits at once)."""
        stop = threading.Event()

        def on_signal(signum: int, _frame: Any) -> None:
            if stop.is_set():
                log.warning("second signal: exiting now; the spool keeps unwritten spans")
                os._exit(1)
            log.info("received %s, shutting down", signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        self.start()
        try:
            while not stop.wait(1.0):
                pass
        finally:
            self.stop()
