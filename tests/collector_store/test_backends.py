"""Backend configuration and failure: URLs, credentials, unreachable server, locked or closed data dir."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from span_builders import ao_call, request, span_id, trace_id

from ao_collector.store import ServerStore, StoreUnavailable, open_store, parse_clickhouse_url


def test_clickhouse_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLICKHOUSE_USER", raising=False)
    monkeypatch.delenv("CLICKHOUSE_PASSWORD", raising=False)
    plain = parse_clickhouse_url("clickhouse://alice:s%40cret@db.example:9123/traces")
    assert (plain.host, plain.port, plain.secure, plain.username, plain.password, plain.database) == (
        "db.example", 9123, False, "alice", "s@cret", "traces")
    secure = parse_clickhouse_url("https://ch.example")
    assert (secure.port, secure.secure, secure.username, secure.password, secure.database) == (8443, True, "default", "", None)
    monkeypatch.setenv("CLICKHOUSE_USER", "bob")
    monkeypatch.setenv("CLICKHOUSE_PASSWORD", "pw")
    from_env = parse_clickhouse_url("http://localhost")
    assert (from_env.port, from_env.username, from_env.password) == (8123, "bob", "pw")
    for bad in ("localhost:8123", "ftp://host", "clickhouse://host:notaport", "http://"):
        with pytest.raises(ValueError, match="ClickHouse URL"):
            parse_clickhouse_url(bad)


def test_open_store_rejects_bad_configuration(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not both"):
        open_store(str(tmp_path), clickhouse_url="http://localhost")
    with pytest.raises(ValueError, match="cluster"):
        open_store(str(tmp_path), cluster="c1")
    with pytest.raises(ValueError, match="database"):
        open_store(clickhouse_url="http://localhost", database="bad-name")
    assert open_store(clickhouse_url="http://localhost:1/metrics").database == "metrics"


def test_unreachable_server_is_unavailable() -> None:
    store = ServerStore("http://127.0.0.1:1", cluster="c1")
    try:
        with pytest.raises(StoreUnavailable):
            store.migrate()
        with pytest.raises(StoreUnavailable):
            store.write([request([ao_call(trace_id(), span_id(), "r")])], "tok")
    finally:
        store.close()


def test_closed_store_is_unavailable(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "data"))
    store.migrate()
    store.close()
    with pytest.raises(StoreUnavailable, match="closed"):
        store.write([request([ao_call(trace_id(), span_id(), "r")])], "tok")


def test_data_dir_held_by_another_process(tmp_path: Path) -> None:
    data = tmp_path / "held"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from ao_collector.store import open_store
            store = open_store({str(data)!r})
            print("open", flush=True)
            sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        second = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(f"""
                from ao_collector.store import open_store, StoreUnavailable
                try:
                    open_store({str(data)!r})
                except StoreUnavailable as error:
                    print("unavailable:", error)
            """)],
            capture_output=True, text=True, timeout=60,
        )
        assert "unavailable: cannot open chDB data dir" in second.stdout, second.stderr
    finally:
        holder.communicate("\n", timeout=30)


def test_server_store_stages_batches_locally_and_ships_the_spans_as_arrow() -> None:
    """The server backend decodes and stages a batch on its own in-memory chDB engine and sends the otel_traces
    rows (columns named and ordered as the DDL) to the server, whose views fill ao's tables; here the network
    end records them. Run in a subprocess: chDB holds one engine per process and this module's store has a
    data dir."""
    script = textwrap.dedent("""
        import json, sys
        sys.path.insert(0, sys.argv[1])
        from span_builders import MS, T0, Link, ao_call, openllmetry_call, request, run_root, span_id, trace_id
        from ao_collector.model import tables
        from ao_collector.store import ServerStore

        store = ServerStore("http://127.0.0.1:1")
        sent = []
        store.insert = lambda table, rows, token=None: sent.append((table, token, rows))
        trace, a, b = trace_id(), span_id(), span_id()
        written = store.write([request([
            run_root(trace, span_id(), "run1", "plan"), ao_call(trace, a, "run1"),
            ao_call(trace, b, "run1", start=T0 + 50 * MS, links=[Link(trace, a)]),
            openllmetry_call(trace, span_id(), start=T0 + 100 * MS, prompt="Name a colour.", answer="Blue."),
        ])], "tok")
        out = [(table, token, rows.num_rows, rows.column_names == tables.OTEL_TRACES.names) for table, token, rows in sent]
        print(json.dumps({"written": written, "sent": out, "spans": sorted(sent[0][2]["SpanId"].to_pylist())}))
        store.close()
    """)
    done = subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["written"] == 4
    assert result["sent"] == [["otel_traces", "tok", 4, True]]
    assert len(set(result["spans"])) == 4
