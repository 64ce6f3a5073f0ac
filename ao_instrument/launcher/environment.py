"""The environment the launcher gives the instrumented command."""

from __future__ import annotations

import os
from collections.abc import Mapping

BOOTSTRAP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bootstrap")
LOCAL_COLLECTOR_PORTS = {"http_port": 4318, "grpc_port": 4317, "api_port": 4320}
# GenAI instrumentations that would record the same calls a second time beside ao's own.
DUPLICATE_INSTRUMENTATIONS = ("openai", "openai_v2", "anthropic")
OTLP_EXPORTERS = ("otlp", "ao_otlp")
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def endpoint_configured(env: Mapping[str, str]) -> bool:
    """Whether the user points traces somewhere (an OTLP endpoint, or a non-OTLP exporter)."""
    if any(env.get(name) for name in ENDPOINT_VARIABLES):
        return True
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    return bool(exporter) and exporter not in OTLP_EXPORTERS


def local_collector_ports(env: Mapping[str, str]) -> dict[str, int]:
    """The local collector's ports, from `AO_COLLECTOR_{HTTP,GRPC,API}_PORT` or the defaults."""
    return {
        key: int(env.get(f"AO_COLLECTOR_{key.split('_')[0].upper()}_PORT") or default)
        for key, default in LOCAL_COLLECTOR_PORTS.items()
    }


def child_environment(
    base: Mapping[str, str],
    *,
    run_id: str,
    traceparent: str | None,
    local_endpoint: str | None,
    taint: bool | None,
    capture_content: bool | None,
) -> dict[str, str]:
    """`base` plus what instruments every Python process of the command.

    With `local_endpoint` (no endpoint of the user's), traces and metrics (the GenAI client metrics) go
    to the local collector over OTLP/HTTP; logs go there too when the user turns them on
    (`OTEL_LOGS_EXPORTER=otlp`), and are off otherwise: ao emits none of its own.
    """
    env = dict(base)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != BOOTSTRAP_DIR]
    env["PYTHONPATH"] = os.pathsep.join([BOOTSTRAP_DIR, *paths])
    env["AO_LAUNCHER"] = "1"
    env["AO_RUN_ID"] = run_id
    if traceparent:
        env["TRACEPARENT"] = traceparent
    if local_endpoint:
        for signal in ("TRACES", "METRICS", "LOGS"):
            env[f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"] = f"{local_endpoint.rstrip('/')}/v1/{signal.lower()}"
            env[f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL"] = "http/protobuf"
        env.setdefault("OTEL_LOGS_EXPORTER", "none")
    env.setdefault("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", ",".join(DUPLICATE_INSTRUMENTATIONS))
    # OTLP over HTTP/protobuf unless said otherwise, as the specification recommends (the distro says gRPC);
    # ao's exporter (outbox, exit deadline) wherever plain OTLP would be used.
    env.setdefault("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    env.setdefault("OTEL_PYTHON_ID_GENERATOR", "ao_unseeded")  # seeding `random` must not repeat span ids
    for signal in ("OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER"):
        env[signal] = _ao_exporters(env.get(signal, ""))
    if taint is not None:
        env["AO_TAINT"] = "on" if taint else "off"
    if capture_content is not None:
        env["AO_CAPTURE_CONTENT"] = "true" if capture_content else "false"
    return env


def _ao_exporters(names: str) -> str:
    """An `OTEL_*_EXPORTER` list with ao's bounded OTLP exporter (`ao_otlp`) for `otlp`, the default."""
    chosen = [name.strip() for name in names.split(",") if name.strip()] or ["otlp"]
    return ",".join("ao_otlp" if name.lower() == "otlp" else name for name in chosen)

