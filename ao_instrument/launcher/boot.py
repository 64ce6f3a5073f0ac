"""Set-up inside each Python process of an `ao-instrument` command.

The same path as `opentelemetry-instrument` (distro, configurator, every instrumentor of the
`opentelemetry_instrumentor` entry-point group, ao's included), then what ao adds: `ao.run.id` on
every span, the run's trace context from the launcher, spans flushed on SIGTERM, and the entry
script run with origin tracking.
"""

from __future__ import annotations

import logging
import os
import signal
from types import FrameType

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ao_instrument.runs import install_run_processor

logger = logging.getLogger("ao_instrument")
_booted = False


def boot() -> None:
    """Instrument this process once; run the entry script with origin tracking when that applies."""
    global _booted
    if _booted or os.environ.get("AO_LAUNCHER") != "1":
        return
    _booted = True
    _initialize()
    install_run_processor(trace.get_tracer_provider())
    _attach_run_context()
    _flush_on_sigterm()
    from ao_instrument.launcher.main_script import run_main_script_if_tracked

    run_main_script_if_tracked()


def _initialize() -> None:
    """What `opentelemetry-instrument` does at start-up, except that one failing instrumentor skips only itself."""
    from opentelemetry.instrumentation.auto_instrumentation._load import _load_configurators, _load_distro
    from opentelemetry.instrumentation.dependencies import get_dist_dependency_conflicts
    from opentelemetry.util._importlib_metadata import entry_points

    distro = _load_distro()
    distro.configure()
    _load_configurators()
    disabled = {n.strip() for n in os.environ.get("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "").split(",")}
    if "*" in disabled:
        return
    for entry_point in entry_points(group="opentelemetry_instrumentor"):
        if entry_point.name in disabled:
            continue
        try:
            if entry_point.dist is not None and get_dist_dependency_conflicts(entry_point.dist):
                continue
            distro.load_instrumentor(entry_point, skip_dep_check=True)
        except ModuleNotFoundError:
            continue  # the instrumented library is not installed
        except Exception:
            logger.warning("ao: instrumentor %s failed to load; skipped", entry_point.name, exc_info=True)


def _attach_run_context() -> None:
    """Make the launcher's `ao.run` span the parent of this process's top-level spans."""
    traceparent = os.environ.get("TRACEPARENT")
    if traceparent:
        carrier = {"traceparent": traceparent}
        otel_context.attach(TraceContextTextMapPropagator().extract(carrier))


def flush_spans(timeout_millis: int = 10_000) -> None:
    """Export every finished span now."""
    force_flush = getattr(trace.get_tracer_provider(), "force_flush", None)
    if force_flush is not None:
        force_flush(timeout_millis)


def _flush_on_sigterm() -> None:
    """On SIGTERM, export spans, then die of SIGTERM as the program would have without ao."""
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        try:
            flush_spans(5_000)
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    try:
        signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread of the main interpreter
        pass
