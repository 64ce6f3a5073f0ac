"""The launcher's own span export, configured from the standard OTEL_* variables."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter


def _protocol(env: Mapping[str, str]) -> str:
    return (
        env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "grpc"
    ).strip()


def span_exporter_from_environment(env: Mapping[str, str]) -> SpanExporter | None:
    """The exporter that `OTEL_TRACES_EXPORTER` and the OTLP variables name (default OTLP, gRPC as the Python distro)."""
    names = [n.strip() for n in env.get("OTEL_TRACES_EXPORTER", "otlp").split(",") if n.strip()]
    if "none" in names or not names:
        return None
    if names[0] == "console":
        return ConsoleSpanExporter()
    if _protocol(env).startswith("http"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HTTPExporter

        return HTTPExporter()
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GRPCExporter

    return GRPCExporter()


def span_processor_from_environment(env: Mapping[str, str]) -> SpanProcessor:
    exporter = span_exporter_from_environment(env)
    if exporter is None:
        return SpanProcessor()
    return BatchSpanProcessor(exporter)
