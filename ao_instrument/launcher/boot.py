"""Set-up inside each Python process of an `ao-instrument` command.

The same path as `opentelemetry-instrument` (distro, configurator, every instrumentor of the
`opentelemetry_instrumentor` entry-point group, ao's included, the pre- and post-instrument hooks),
then what ao adds: its log records and OpenTelemetry's in `$AO_HOME/ao-instrument.log` (never on the
program's terminal), `ao.run.id` on every span, the run's trace context from the launcher, the run's
seed (`replay.seeding`), spans flushed on SIGTERM, and the entry script run with origin tracking
(`main_script.py`).

`post_instrument` (entry point `ao_main_script` of `opentelemetry_post_instrument`) does the part
after the instrumentors under plain `opentelemetry-instrument`: it arms the entry script's rewriting,
makes the process one run whose spans are flushed on SIGTERM (a server dies of it before exit hooks run),
and, when the process belongs to an `ao-instrument` run whose bootstrap did not run here (e.g.
`ao-instrument opentelemetry-instrument python agent.py`), joins the run as `boot` does.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
from collections.abc import Callable
from types import FrameType

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ao_instrument.genai.fail_open import report_internal_error
from ao_instrument.launcher.exit_deadline import EXIT
from ao_instrument.launcher.home import AO_LOGGERS, route_logs_to_file
from ao_instrument.replay import seeding
from ao_instrument.runs import end_process_run, install_run_processor, start_process_run

logger = logging.getLogger("ao_instrument")
_booted = False


def boot() -> bool:
    """Instrument this process once, and arm the entry script's run with origin tracking; True when done here."""
    global _booted
    if _booted or os.environ.get("AO_LAUNCHER") != "1":
        return False
    _booted = True
    route_logs_to_file()
    _initialize()
    _join_run()
    from ao_instrument.launcher import main_script

    main_script.arm()
    return True


def post_instrument() -> None:
    """After every instrumentor is loaded (`opentelemetry_post_instrument`): arm the entry script's run.

    Never raises: whatever fails leaves the program as it would run without this hook.
    """
    global _booted
    try:
        if os.environ.get("AO_LAUNCHER") == "1":
            if not _booted:
                _booted = True  # an ao-instrument run, entered through opentelemetry-instrument's bootstrap
                route_logs_to_file()
                _join_run()
        else:  # plain opentelemetry-instrument: the process is one run; ao's own records go to its log
            route_logs_to_file(AO_LOGGERS)
            if start_process_run(trace.get_tracer_provider()):
                _flush_on_sigterm(end_process_run)
        from ao_instrument.genai.provider import settle_peers

        settle_peers()
        from ao_instrument.launcher import main_script

        main_script.arm()
    except Exception:
        report_internal_error("the post-instrument hook")


def _join_run() -> None:
    """`ao.run.id` on every span, the launcher's run span as parent, the run's seed, spans flushed on SIGTERM,
    exports bounded from the start of the exit (registered after the providers' exit hooks: runs first)."""
    atexit.register(EXIT.start)
    install_run_processor(trace.get_tracer_provider())
    _attach_run_context()
    try:
        seeding.seed_process()
    except Exception:
        report_internal_error("seeding the process")
    _flush_on_sigterm()


def _initialize() -> None:
    """What `opentelemetry-instrument` does at start-up, except that one failing instrumentor skips only itself."""
    from opentelemetry.instrumentation.auto_instrumentation._load import _load_configurators, _load_distro
    from opentelemetry.instrumentation.dependencies import get_dist_dependency_conflicts
    from opentelemetry.util._importlib_metadata import entry_points

    distro = _load_distro()
    distro.configure()
    _load_configurators()
    disabled = {n.strip() for n in os.environ.get("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "").split(",")}
    _run_hooks("opentelemetry_pre_instrument")
    for entry_point in () if "*" in disabled else entry_points(group="opentelemetry_instrumentor"):
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
    _run_hooks("opentelemetry_post_instrument")


def _run_hooks(group: str) -> None:
    """Call every hook of an entry-point group (`opentelemetry-instrument` does so around the instrumentors)."""
    from opentelemetry.util._importlib_metadata import entry_points

    for entry_point in entry_points(group=group):
        try:
            entry_point.load()()
        except Exception:
            logger.warning("ao: %s hook %s failed; skipped", group, entry_point.name, exc_info=True)


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


def _flush_on_sigterm(before: Callable[[], None] | None = None) -> None:
    """On SIGTERM, export spans (within the exit deadline, the rest to the outbox), then die of SIGTERM as the
    program would have without ao. `before` runs first (it ends the process's run span, which exit would).

    A server that installs its own handler later (uvicorn, gunicorn) and re-raises SIGTERM after its graceful
    shutdown restores this one first, so its last spans are exported too: atexit hooks do not run when a
    process dies of a signal."""
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        try:
            if before is not None:
                before()
            # as at exit: exports give up at the exit deadline and keep what is left in the outbox
            EXIT.start()
            flush_spans(int((EXIT.seconds_left() + 2) * 1000))
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    try:
        signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread of the main interpreter
        pass
