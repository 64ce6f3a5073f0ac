"""The `ao-collector` command: `serve`, `migrate`, and the query commands `runs`, `show`, `graph`."""

from __future__ import annotations

import enum
import json
import logging
import os
import sys
import urllib.parse
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console

from ao_collector.cli import render
from ao_collector.cli.source import DEFAULT_API_URL, ApiSource, Source, SourceError, open_source

app = typer.Typer(
    help="ao collector: OTLP traces in, ClickHouse out, LLM dataflow graphs back.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
console = Console()
errors = Console(stderr=True)


# The store options of `serve` and `migrate`.
_DATA_DIR = typer.Option(None, "--data-dir", help="Embedded chDB data dir (default: $AO_HOME, else ~/.ao).")
_CLICKHOUSE_URL = typer.Option(None, "--clickhouse-url", envvar="AO_CLICKHOUSE_URL",
                               help="A ClickHouse server instead (http:// or https://user:pass@host:port).")
_DATABASE = typer.Option("ao", "--database", help="ClickHouse database.")
_CLUSTER = typer.Option(None, "--cluster", help="Create replicated + Distributed tables ON CLUSTER.")


@app.command()
def serve(
    data_dir: Optional[Path] = _DATA_DIR,
    clickhouse_url: Optional[str] = _CLICKHOUSE_URL,
    database: str = _DATABASE,
    cluster: Optional[str] = _CLUSTER,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (non-loopback needs AO_API_TOKEN)."),
    grpc_port: int = typer.Option(4317, "--grpc-port", help="OTLP/gRPC port."),
    http_port: int = typer.Option(4318, "--http-port", help="OTLP/HTTP port."),
    api_port: int = typer.Option(4320, "--api-port", help="API port."),
    spool_dir: Optional[Path] = typer.Option(None, "--spool-dir", help="Write-ahead spool (default: DATA_DIR/spool)."),
    spool_max_mb: int = typer.Option(512, "--spool-max-mb", help="Spool bound; over it, exports get backpressure."),
    batch_max_spans: Optional[int] = typer.Option(
        None, "--batch-max-spans", help="Most spans per store insert (default 30,000 embedded, 10,000 with a server)."),
    batch_max_mb: Optional[int] = typer.Option(
        None, "--batch-max-mb", help="Most request MB per store insert (default 96 embedded, 32 with a server)."),
    batch_linger_ms: int = typer.Option(200, "--batch-linger-ms", help="Longest wait to fill a batch."),
    batch_linger_max_ms: int = typer.Option(
        1000, "--batch-linger-max-ms", help="The wait to fill a batch under a steady stream (fewer, larger inserts)."),
    max_lag: float = typer.Option(2.0, "--max-lag", help="Refuse exports (429) while more than this many seconds of writing wait."),
    fsync: bool = typer.Option(True, "--fsync/--no-fsync", help="fsync the spool before acknowledging an export."),
    max_body_mb: int = typer.Option(16, "--max-body-mb", help="Largest accepted (decompressed) export request."),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning or error."),
    allow_replay: bool = typer.Option(False, "--allow-replay",
                                      help="Let POST /api/v1/runs/{id}/replay re-execute runs recorded on this host."),
) -> None:
    """Receive OTLP traces (gRPC and HTTP), store them in ClickHouse, serve the API."""
    from ao_collector.service import CollectorService, ConfigError, ServiceConfig

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    config = ServiceConfig(
        data_dir=data_dir,
        clickhouse_url=clickhouse_url,
        database=database,
        cluster=cluster,
        host=host,
        grpc_port=grpc_port,
        http_port=http_port,
        api_port=api_port,
        spool_dir=spool_dir,
        spool_max_bytes=spool_max_mb << 20,
        batch_max_spans=batch_max_spans,
        batch_max_bytes=None if batch_max_mb is None else batch_max_mb << 20,
        batch_linger=batch_linger_ms / 1000,
        batch_linger_max=batch_linger_max_ms / 1000,
        max_lag=max_lag,
        fsync=fsync,
        max_body=max_body_mb << 20,
        allow_replay=allow_replay,
    )
    try:
        CollectorService(config).run()
    except (ConfigError, OSError) as exc:
        errors.print(f"[red]ao-collector:[/red] {exc}")
        raise typer.Exit(2) from None
    except Exception as exc:
        errors.print(f"[red]ao-collector: cannot start:[/red] {exc}")
        raise typer.Exit(1) from None


@app.command()
def migrate(
    data_dir: Optional[Path] = _DATA_DIR,
    clickhouse_url: Optional[str] = _CLICKHOUSE_URL,
    database: str = _DATABASE,
    cluster: Optional[str] = _CLUSTER,
) -> None:
    """Create or upgrade the schema and load the prices, then exit: what a store needs before spans arrive
    from another writer (the OpenTelemetry Collector's ClickHouse exporter); `serve` does it at start."""
    from ao_collector.store import StoreUnavailable, open_store

    try:
        store = open_store(data_dir=str(data_dir) if data_dir else None, clickhouse_url=clickhouse_url,
                           database=database, cluster=cluster)
        try:
            store.migrate()
        finally:
            store.close()
    except (ValueError, StoreUnavailable) as exc:
        errors.print(f"[red]ao-collector migrate:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(f"schema of database {database!r} is current")


def _source(api_url: Optional[str], data_dir: Optional[Path], clickhouse_url: Optional[str], database: str) -> Source:
    try:
        return open_source(api_url, data_dir, clickhouse_url, database)
    except SourceError as exc:
        errors.print(f"[red]ao-collector:[/red] {exc}")
        raise typer.Exit(1) from None


API_URL = typer.Option(None, "--api-url", help="Collector API (default: $AO_API_URL, else http://127.0.0.1:4320).")
DATA_DIR = typer.Option(None, "--data-dir", help="Data dir to open when no collector answers.")
CLICKHOUSE_URL = typer.Option(None, "--clickhouse-url", envvar="AO_CLICKHOUSE_URL", help="ClickHouse server to read.")
DATABASE = typer.Option("ao", "--database", help="ClickHouse database.")
AS_JSON = typer.Option(False, "--json", help="Print JSON.")


def _read(source: Source, fetch: Any) -> Any:
    try:
        return fetch()
    except SourceError as exc:
        errors.print(f"[red]ao-collector:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        source.close()


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n")


@app.command()
def runs(
    limit: int = typer.Option(20, "--limit", "-n", help="How many runs, newest first."),
    as_json: bool = AS_JSON,
    api_url: Optional[str] = API_URL,
    data_dir: Optional[Path] = DATA_DIR,
    clickhouse_url: Optional[str] = CLICKHOUSE_URL,
    database: str = DATABASE,
) -> None:
    """List the latest runs."""
    source = _source(api_url, data_dir, clickhouse_url, database)
    rows = _read(source, lambda: source.runs(limit))
    if as_json:
        _print_json(rows)
    elif not rows:
        console.print("no runs yet")
    else:
        console.print(render.table(rows, render.RUN_COLUMNS, title="runs"))


def _missing(kind: str, ident: str) -> typer.Exit:
    errors.print(f"[red]ao-collector:[/red] no {kind} {ident!r}")
    return typer.Exit(1)


@app.command()
def show(
    run_id: str = typer.Argument(..., help="Run id (ao.run.id)."),
    as_json: bool = AS_JSON,
    api_url: Optional[str] = API_URL,
    data_dir: Optional[Path] = DATA_DIR,
    clickhouse_url: Optional[str] = CLICKHOUSE_URL,
    database: str = DATABASE,
) -> None:
    """Show a run and its LLM calls."""
    source = _source(api_url, data_dir, clickhouse_url, database)
    run = _read(source, lambda: source.run(run_id))
    if run is None:
        raise _missing("run", run_id)
    if as_json:
        _print_json(run)
        return
    calls = run.get("calls") or []
    summary = {k: v for k, v in run.items() if v not in ("", None, []) and not isinstance(v, (list, dict))}
    for key, value in summary.items():
        console.print(f"[bold]{key}[/bold]: {value}", soft_wrap=True)
    if run.get("failure"):
        console.print(f"[bold red]failed[/bold red]: {render.failure(run['failure'])}", soft_wrap=True)
    console.print(render.table(calls, render.CALL_COLUMNS, title=f"{len(calls)} calls"))


def _api(api_url: Optional[str]) -> ApiSource:
    """The running collector's API (edits and replays go through it only)."""
    api = ApiSource(api_url or os.environ.get("AO_API_URL") or DEFAULT_API_URL, os.environ.get("AO_API_TOKEN"))
    if not api.alive():
        errors.print(f"[red]ao-collector:[/red] no collector answers at {api.base_url}; start `ao-collector serve`")
        raise typer.Exit(1)
    return api


def _call_api(api: ApiSource, method: str, path: str, body: Any = None) -> Any:
    try:
        found = api.send(method, path, body)
    except (SourceError, OSError) as exc:
        errors.print(f"[red]ao-collector:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from None
    if found is None:
        errors.print(f"[red]ao-collector:[/red] not found: {path}")
        raise typer.Exit(1)
    return found


@app.command()
def edit(
    span_id: str = typer.Argument(..., help="Span id of the call (a unique prefix works)."),
    input_text: Optional[str] = typer.Option(None, "--input-text", help="New text of the last user message."),
    output_text: Optional[str] = typer.Option(None, "--output-text", help="New text of the first output message."),
    json_file: Optional[Path] = typer.Option(None, "--json", help='File with {"request": ...} or {"response": ...}.'),
    api_url: Optional[str] = API_URL,
) -> None:
    """Edit a call's input or output (used by the next `ao-instrument --replay` of its run)."""
    given = [x for x in (input_text, output_text, json_file) if x is not None]
    if len(given) != 1:
        errors.print("[red]ao-collector:[/red] give exactly one of --input-text, --output-text, --json")
        raise typer.Exit(2)
    if json_file is not None:
        try:
            body = json.loads(json_file.read_text())
        except (OSError, ValueError) as exc:
            errors.print(f"[red]ao-collector:[/red] {json_file}: {exc}")
            raise typer.Exit(2) from None
        kind = "input" if isinstance(body, dict) and "request" in body else "output"
    else:
        kind, body = ("input", {"text": input_text}) if input_text is not None else ("output", {"text": output_text})
    stored = _call_api(_api(api_url), "PUT", f"/api/v1/calls/{urllib.parse.quote(span_id, safe='')}/{kind}", body)
    console.print(f"edited the {kind} of call {stored['span_id']}")


@app.command()
def edits(
    run_id: str = typer.Argument(..., help="Run id (a unique prefix works)."),
    clear: bool = typer.Option(False, "--clear", help="Remove every edit of the run."),
    as_json: bool = AS_JSON,
    api_url: Optional[str] = API_URL,
) -> None:
    """List (or --clear) the active edits of a run."""
    api, path = _api(api_url), f"/api/v1/runs/{urllib.parse.quote(run_id, safe='')}/edits"
    if clear:
        console.print(f"removed {_call_api(api, 'DELETE', path)['deleted']} edits")
        return
    found = _call_api(api, "GET", path)["edits"]
    if as_json:
        _print_json(found)
    elif not found:
        console.print("no edits")
    else:
        console.print(render.table([{**e, "body": json.dumps(e["body"])} for e in found],
                                   ("span_id", "kind", "created_at", "body"), title="edits"))


@app.command()
def replay(
    run_id: str = typer.Argument(..., help="Run id (a unique prefix works)."),
    api_url: Optional[str] = API_URL,
) -> None:
    """Ask the collector to replay a run (it needs `serve --allow-replay` and the run recorded on its host)."""
    started = _call_api(_api(api_url), "POST", f"/api/v1/runs/{urllib.parse.quote(run_id, safe='')}/replay")
    console.print(f"replay started: run {started['run_id']}")


class GraphFormat(str, enum.Enum):
    text = "text"
    dot = "dot"
    json = "json"


@app.command()
def graph(
    run_id: str = typer.Argument(..., help="Run id (ao.run.id)."),
    format: GraphFormat = typer.Option(GraphFormat.text, "--format", "-f", help="text tree, Graphviz dot, or JSON."),
    api_url: Optional[str] = API_URL,
    data_dir: Optional[Path] = DATA_DIR,
    clickhouse_url: Optional[str] = CLICKHOUSE_URL,
    database: str = DATABASE,
) -> None:
    """Show a run's dataflow graph: which LLM call's output reached which call's input."""
    source = _source(api_url, data_dir, clickhouse_url, database)
    found = _read(source, lambda: source.graph(run_id))
    if found is None:
        raise _missing("run", run_id)
    if format is GraphFormat.json:
        _print_json(found)
    elif format is GraphFormat.dot:
        sys.stdout.write(render.graph_dot(found, run_id) + "\n")
    else:
        console.print(render.graph_tree(found, f"run {run_id}"))


def main() -> None:
    """Console script entry point."""
    app()
