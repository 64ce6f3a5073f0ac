"""Span export under `ao-instrument`: bounded at exit (`exit_deadline`), and nothing accepted is lost.

`OutboxSpanExporter` (the `ao_otlp` traces exporter, chosen by the launcher where `otlp` would be)
wraps the standard OTLP exporter of the configured protocol. A batch it cannot deliver — the endpoint
refuses it or does not answer, or the process is exiting and the exit deadline (`AO_EXIT_TIMEOUT`,
1 s) has passed — is written as an OTLP/protobuf `ExportTraceServiceRequest` to the outbox,
`$AO_HOME/outbox/` (at most `AO_OUTBOX_MAX_BYTES`, 256 MiB; beyond, batches are dropped and logged).
The next `ao-instrument` run sends the outbox to its OTLP endpoint (HTTP or gRPC) as its command starts
(`deliver_outbox`), the local collector takes the batches that were meant for it when it starts
(`outbox_folder`), and the launcher tells in one line at exit where undelivered spans are.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import urllib.error
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.util.re import parse_env_headers

from ao_instrument.launcher.exit_deadline import EXIT, env_number
from ao_instrument.launcher.home import outbox_dir
from ao_instrument.launcher.outbox_folder import Outbox, local_tag

logger = logging.getLogger(__name__)

MAX_BYTES_ENV = "AO_OUTBOX_MAX_BYTES"
DEFAULT_MAX_BYTES = 256 << 20


def protocol(env: Mapping[str, str] = os.environ) -> str:
    """The traces protocol the OTLP variables ask for; HTTP/protobuf when unset, as the specification recommends."""
    return (
        env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf"
    ).strip()


def standard_exporter(env: Mapping[str, str] = os.environ) -> SpanExporter:
    """The OpenTelemetry OTLP span exporter of the configured protocol."""
    if protocol(env).startswith("http"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HTTPExporter

        return HTTPExporter()
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GRPCExporter

    return GRPCExporter()


def outbox_from_environment(env: Mapping[str, str] = os.environ) -> Outbox:
    """The outbox of `$AO_HOME`, its batches named for the configured traces endpoint."""
    return Outbox(outbox_dir(), int(env_number(env, MAX_BYTES_ENV, DEFAULT_MAX_BYTES)), local_tag(traces_url(env)))


class OutboxSpanExporter(SpanExporter):
    """The standard OTLP exporter, with undeliverable batches kept in the outbox and a deadline at exit."""

    def __init__(self, inner: SpanExporter | None = None, outbox: Outbox | None = None) -> None:
        self._inner = inner
        self._outbox = outbox if outbox is not None else outbox_from_environment()
        self.kept: list[Path] = []
        # Registered after the tracer provider's own exit hook, so it runs before the provider flushes.
        atexit.register(EXIT.start)

    def _standard(self) -> SpanExporter:
        """The standard exporter, made at the first export: a process that exports nothing never loads it."""
        if self._inner is None:
            self._inner = standard_exporter()
        return self._inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._deliver(spans):
            return SpanExportResult.SUCCESS
        from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

        try:
            payload = encode_spans(spans).SerializeToString()
        except Exception:
            logger.exception("ao: %d spans could not be encoded; dropped", len(spans))
            return SpanExportResult.FAILURE
        path = self._outbox.keep(payload, len(spans))
        if path is not None:
            self.kept.append(path)
        return SpanExportResult.FAILURE

    def _deliver(self, spans: Sequence[ReadableSpan]) -> bool:
        """Export through the standard exporter, given up at the exit deadline."""
        return EXIT.run(lambda: self._standard().export(spans) is SpanExportResult.SUCCESS, "spans")

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._inner.force_flush(timeout_millis) if self._inner is not None else True

    def shutdown(self) -> None:
        EXIT.start()
        if self._inner is not None:
            self._inner.shutdown()


def endpoint_listening(env: Mapping[str, str] = os.environ, timeout: float = 0.2) -> bool:
    """Whether something accepts connections at the traces endpoint (a refused connect is answered at once)."""
    url = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or ""
    parsed = urllib.parse.urlsplit(url if "//" in url else f"//{url}")
    default = 4318 if protocol(env).startswith("http") else 4317
    try:
        with socket.create_connection((parsed.hostname or "localhost", parsed.port or default), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def traces_url(env: Mapping[str, str] = os.environ) -> str:
    """The OTLP traces endpoint the variables name: a URL for HTTP, `host:port` (or a URL) for gRPC."""
    signal = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if protocol(env).startswith("http"):
        if signal:
            return signal
        return (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "http://localhost:4318").rstrip("/") + "/v1/traces"
    return signal or env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "http://localhost:4317"


class Refused(Exception):
    """The endpoint will never take this request (malformed)."""


def _headers(env: Mapping[str, str]) -> dict[str, str]:
    configured = env.get("OTEL_EXPORTER_OTLP_TRACES_HEADERS") or env.get("OTEL_EXPORTER_OTLP_HEADERS") or ""
    return parse_env_headers(configured, liberal=True)


def _http_sender(url: str, env: Mapping[str, str], timeout: float) -> Callable[[bytes], None]:
    import urllib.request  # the launcher's delivery only: not loaded by the command's processes

    headers = {"Content-Type": "application/x-protobuf", **_headers(env)}

    def send(payload: bytes) -> None:
        request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout):
                pass
        except urllib.error.HTTPError as error:
            if error.code == 400:
                raise Refused(str(error.code)) from None
            raise

    return send


def _grpc_sender(endpoint: str, env: Mapping[str, str], timeout: float) -> Callable[[bytes], None]:
    import grpc
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import TraceServiceStub

    parsed = urllib.parse.urlsplit(endpoint if "//" in endpoint else f"//{endpoint}")
    target = f"{parsed.hostname or 'localhost'}:{parsed.port or 4317}"
    insecure = parsed.scheme == "http" or (env.get("OTEL_EXPORTER_OTLP_INSECURE", "").lower() == "true")
    channel = grpc.insecure_channel(target) if insecure else grpc.secure_channel(target, grpc.ssl_channel_credentials())
    stub = TraceServiceStub(channel)
    metadata = [(key.lower(), value) for key, value in _headers(env).items()]

    def send(payload: bytes) -> None:
        try:
            stub.Export(ExportTraceServiceRequest.FromString(payload), metadata=metadata, timeout=timeout)
        except grpc.RpcError as error:
            if error.code() is grpc.StatusCode.INVALID_ARGUMENT:
                raise Refused(error.code().name) from None
            raise OSError(f"{error.code().name}: {error.details()}") from None

    return send


def deliver_outbox(env: Mapping[str, str] = os.environ, timeout: float = 5.0) -> tuple[int, int]:
    """Send the outbox's requests to the OTLP traces endpoint (HTTP or gRPC, as configured); (delivered,
    left). Stops at the first failure.

    An endpoint that refuses a request as malformed (HTTP 400, gRPC INVALID_ARGUMENT) will never take it:
    that file is moved to `outbox/refused/` rather than retried forever.
    """
    outbox = outbox_from_environment(env)
    outbox.take_back_abandoned()
    files = outbox.files()
    if not files:
        return 0, 0
    endpoint = traces_url(env)
    try:
        send = (_http_sender if protocol(env).startswith("http") else _grpc_sender)(endpoint, env, timeout)
    except Exception:
        logger.exception("ao: cannot deliver the outbox to %s", endpoint)
        return 0, len(files)
    delivered = 0
    for path in files:
        claimed = outbox.claim(path)
        if claimed is None:  # the local collector, or another run, took it
            continue
        try:
            send(claimed.read_bytes())
        except Refused:
            outbox.set_aside(claimed)
            continue
        except (urllib.error.URLError, OSError, ValueError) as error:
            outbox.release(claimed)
            logger.warning("ao: outbox delivery to %s failed (%s); files left for the next run", endpoint, error)
            break
        claimed.unlink(missing_ok=True)
        delivered += 1
    return delivered, len(outbox.files())
