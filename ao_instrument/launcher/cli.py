"""`ao-instrument [options] COMMAND...`: run any command with ao's instrumentation (contracts C1, C4).

The launcher owns the run: it starts the `ao.run {name}` root span, runs the command as a child
process whose Python processes are instrumented through `sitecustomize`, forwards signals to it,
ends the root span when it exits, and exits with the command's own status. The command starts
first: the span's ids are drawn beforehand (`root_context`, the run id is its trace id unless
`--run-id` is given) and the OpenTelemetry SDK loads while the command starts (`run_span`). A signal
sent to the launcher (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2) reaches the program; one
from a terminal (Ctrl-C, Ctrl-\\, hangup), which reaches the whole process group, reaches it once.
Every run gets a seed
(`ao.run.seed`) that seeds `random`, `uuid4` and numpy in each of its processes (`replay.seeding`).

`ao-instrument --replay RUN_ID [COMMAND...]` runs COMMAND (default: the recorded command, in its
recorded working directory) with the recorded run's seed, its LLM calls served from the recording
where their requests are unchanged (`replay.launch`, `replay.plan`); the new run carries
`ao.run.replay_of`, and one summary line is printed at exit.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

# Only what starts the command is imported up front; the OpenTelemetry SDK and the exporter (`run_span`)
# load while the command starts.
from ao_instrument import __version__
from ao_instrument.genai import semconv as sc
from ao_instrument.launcher.environment import child_environment, endpoint_configured, local_collector_ports
from ao_instrument.launcher.home import log_path, outbox_dir, route_logs_to_file
from ao_instrument.launcher.root_context import RootContext, sampled_upfront
from ao_instrument.replay import seeding

if TYPE_CHECKING:
    from ao_instrument.launcher.outbox_folder import Outbox
    from ao_instrument.launcher.run_span import RunSpan
    from ao_instrument.replay.launch import RecordedRun

EXIT_DELIVERY_S = 1.0  # how long the exit waits for the outbox of earlier runs to be sent
logger = logging.getLogger("ao_instrument.launcher")
# Taken by one thread (`_forward_signals`): blocked in every other thread of the launcher, so that none
# lands on a thread whose Python handler would wait for the main thread, itself waiting for the command.
FORWARDED_SIGNALS = frozenset(
    (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="ao-instrument",
        description="Run COMMAND with OpenTelemetry GenAI spans and dataflow links between LLM calls.",
        allow_abbrev=False,
    )
    parser.add_argument("--name", help="run name (default: the script or command name)")
    parser.add_argument(
        "--replay",
        metavar="RUN_ID",
        help="replay RUN_ID: unchanged calls served from its recording, edited and new ones live "
        "(no COMMAND: the recorded command in its recorded directory)",
    )
    parser.add_argument("--run-id", metavar="ID", help="the new run's id (32 hex digits; default: a fresh one)")
    parser.add_argument("--replay-of", metavar="RUN_ID", help="mark this run as a replay of RUN_ID")
    parser.add_argument("--no-taint", action="store_true", help="no origin tracking (AO_TAINT=off)")
    parser.add_argument("--no-capture", action="store_true", help="no message content on spans")
    parser.add_argument(
        "--no-autostart", action="store_true", help="never start a local collector (AO_NO_AUTOSTART=1)"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("command", nargs="?", help="the program to run, e.g. python")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    args = parser.parse_args(argv)
    if args.command is None and not args.replay:
        parser.error("a COMMAND is required (or --replay RUN_ID)")
    if args.run_id is not None and not _is_run_id(args.run_id):
        parser.error("--run-id takes 32 hex digits")
    return args


def _is_run_id(text: str) -> bool:
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)


def default_run_name(command: list[str]) -> str:
    for arg in command[1:]:
        if not arg.startswith("-"):
            return os.path.basename(arg)
    return os.path.basename(command[0])


def _local_endpoint(no_autostart: bool) -> str:
    """Make sure a local collector answers (C1), and return its OTLP/HTTP endpoint.

    Its ports: `AO_COLLECTOR_HTTP_PORT` (4318), `AO_COLLECTOR_GRPC_PORT` (4317), `AO_COLLECTOR_API_PORT` (4320).
    """
    ports = local_collector_ports(os.environ)
    if not no_autostart and os.environ.get("AO_NO_AUTOSTART") != "1":
        try:
            from ao_collector.autostart import ensure_collector

            if not ensure_collector(**ports):
                logger.warning("ao: the local collector did not start; spans go to the outbox")
        except Exception:
            logger.exception("ao: could not start the local collector; spans go to the outbox")
    return f"http://127.0.0.1:{ports['http_port']}"


def _command_not_found(name: str) -> NoReturn:
    """Fail as a shell does."""
    sys.stderr.write(f"ao-instrument: command not found: {name}\n")
    sys.exit(127)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    route_logs_to_file()
    if args.command and shutil.which(args.command) is None:
        _command_not_found(args.command)  # before a local collector is started for nothing
    local = None if endpoint_configured(os.environ) else _local_endpoint(args.no_autostart)
    recorded = _recorded_run(args.replay) if args.replay else None
    command = [args.command, *args.args] if args.command else list(recorded.command if recorded else ())
    if recorded is not None and not args.command:
        _enter_recorded_directory(recorded)
    executable = shutil.which(command[0]) if command else None
    if executable is None:
        _command_not_found(command[0] if command else "(none recorded)")

    root = RootContext.new()
    run_id = args.run_id or f"{root.trace_id:032x}"
    name = args.name or default_run_name(command)
    cwd = os.getcwd()
    seed = recorded.seed if recorded is not None and recorded.seed is not None else seeding.new_seed()
    run_dir = tempfile.mkdtemp(prefix="ao-run-")
    replay = None
    if recorded is not None:
        from ao_instrument.replay.launch import ReplayFiles

        replay = ReplayFiles(Path(run_dir), recorded)

    env = child_environment(
        os.environ,
        run_id=run_id,
        traceparent=None,
        local_endpoint=local,
        taint=False if args.no_taint else None,
        capture_content=False if args.no_capture else None,
    )
    env.update({seeding.SEED_ENV: str(seed), seeding.RUN_DIR_ENV: run_dir})
    if replay is not None:
        env.update(replay.environment())
    # The launcher's own exporter reads the same OTEL_* settings as the command's processes.
    os.environ.update({k: v for k, v in env.items() if k.startswith("OTEL_")})
    attributes = {
        sc.AO_RUN_ID: run_id,
        sc.AO_RUN_NAME: name,
        sc.AO_RUN_SEED: seed,
        "process.command_args": command,
        "process.working_directory": cwd,
    }
    replay_of = recorded.run_id if recorded is not None else args.replay_of
    if replay_of:
        attributes[sc.AO_RUN_REPLAY_OF] = replay_of
    # host.name: a collector re-executes a run only on the machine that recorded it
    resource = {"process.command_args": command, "process.working_directory": cwd, "host.name": socket.gethostname()}

    def record_run_span() -> RunSpan:
        from ao_instrument.launcher.run_span import RunSpan

        return RunSpan(root, name, attributes, resource, env)

    # Before any thread starts (threads inherit the mask); the command's process unblocks them.
    signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED_SIGNALS)
    span = None if sampled_upfront(env) else record_run_span()  # a sampler that may drop the run decides first
    env["TRACEPARENT"] = root.traceparent(sampled=True) if span is None else span.traceparent()
    try:
        child = _start_child([executable, *command[1:]], env)
        try:
            span = span or record_run_span()
            outbox, delivery = _deliver_earlier_runs(env)
        except Exception:  # fail open: the command runs on, unrecorded; the reason goes to ao's log
            logger.exception("ao: the run's root span could not be recorded")
            span = outbox = delivery = None
        status = child.wait()
    finally:
        summary = replay.summary() if replay is not None else None
        shutil.rmtree(run_dir, ignore_errors=True)

    undelivered = outbox.kept_since(root.start_ns) if outbox is not None else []
    if span is not None:
        span.end(status)
        span.export(command_kept_spans=bool(undelivered))
    if delivery is not None:
        delivery.join(EXIT_DELIVERY_S)
    if summary:
        sys.stderr.write(summary + "\n")
    if undelivered or (span is not None and span.kept):
        sys.stderr.write(
            f"ao: spans of this run could not be delivered; kept in {outbox_dir()} for the next run "
            f"(see {log_path()})\n"
        )
    if status < 0:  # die of the program's signal, in this thread (the forwarded ones are blocked elsewhere)
        signal.signal(-status, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {-status})
        signal.pthread_kill(threading.get_ident(), -status)
    sys.exit(status)


def _deliver_earlier_runs(env: dict[str, str]) -> tuple[Outbox, threading.Thread]:
    """The outbox, and its delivery to the endpoint (batches of earlier runs), started."""
    from ao_instrument.launcher.outbox import deliver_outbox, outbox_from_environment

    delivery = threading.Thread(target=deliver_outbox, args=(env,), name="ao-outbox", daemon=True)
    delivery.start()
    return outbox_from_environment(env), delivery


def _recorded_run(run_id: str) -> RecordedRun:
    """The run to replay, from the collector; exits 2 with the reason when it cannot be had."""
    from ao_instrument.replay.launch import API_URL_ENV, TOKEN_ENV, ReplayError, fetch_recorded_run

    api_url = os.environ.get(API_URL_ENV) or f"http://127.0.0.1:{local_collector_ports(os.environ)['api_port']}"
    try:
        return fetch_recorded_run(run_id, api_url, os.environ.get(TOKEN_ENV))
    except ReplayError as error:
        sys.stderr.write(f"ao-instrument: --replay {run_id}: {error}\n")
        sys.exit(2)


def _enter_recorded_directory(recorded: RecordedRun) -> None:
    """Work in the recorded run's directory, as the recorded command did."""
    try:
        os.chdir(recorded.working_directory or ".")
    except OSError as error:
        sys.stderr.write(
            f"ao-instrument: --replay {recorded.run_id}: its working directory is not usable here: {error}\n"
        )
        sys.exit(2)


def _start_child(argv: list[str], env: dict[str, str]) -> subprocess.Popen:
    """Start the command in the foreground, with signals sent to the launcher forwarded to it."""
    child = subprocess.Popen(argv, env=env, preexec_fn=_unblock_forwarded)
    threading.Thread(target=_forward_signals, args=(child,), name="ao-signals", daemon=True).start()
    return child


def _unblock_forwarded() -> None:
    """In the child, before exec: the signals as the program would have them without the launcher."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED_SIGNALS)


def _forward_signals(child: subprocess.Popen) -> None:
    """Forward each signal sent to the launcher (`kill`: `si_code` <= 0) to the program while it runs.

    One the kernel sends (`si_code` > 0: a terminal's Ctrl-C, Ctrl-\\ or hangup) reaches the whole
    foreground process group, the program included: forwarding it too would deliver it twice.
    """
    while True:
        info = signal.sigwaitinfo(FORWARDED_SIGNALS)
        if info.si_code <= 0 and child.poll() is None:
            child.send_signal(info.si_signo)
