"""The launcher's own span export, configured from the standard OTEL_* variables."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter

from ao_instrument.launcher.outbox import OutboxSpanExporter, standard_exporter



def span_exporter_from_environment(env: Mapping[str, str]) -> SpanExporter | None:
    """The exporter that `OTEL_TRACES_EXPORTER` names (default OTLP, with the outbox and the exit deadline)."""
    names = [n.strip() for n in env.get("OTEL_TRACES_EXPORTER", "otlp").split(",") if n.strip()]
    if "none" in names or not names:
        return None
    if names[0] == "console":
        return ConsoleSpanExporter()
    return OutboxSpanExporter(standard_exporter(env))
