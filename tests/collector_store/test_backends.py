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


def test_server_store_sends_the_requests_for_the_server_to_decode(tmp_path: Path) -> None:
    """The server backend sends a batch as the OTLP requests themselves, in one insert the server decodes (the
    schema inline, the dedup token); here a stand-in server over real HTTP records it. The decode it asks for
    is checked on chDB: the same SELECT over the same bytes, with the inline schema, gives the rows the
    embedded store decodes. In a subprocess: chDB holds one engine per process and this module's store has
    a data dir."""
    script = textwrap.dedent("""
        import json, os, sys, threading
        sys.path.insert(0, sys.argv[1])
        sys.path.insert(0, sys.argv[2])
        from span_builders import MS, T0, Link, ao_call, openllmetry_call, request, run_root, span_id, trace_id
        from tests.support.clickhouse_sink import InsertSink
        from ao_collector.model.otlp_proto import STRUCTURE, length_delimited, proto_file
        from ao_collector.model.span_sql import SERVER_DECODE_SETTINGS, decode_query, decode_select
        from ao_collector.pipeline.spool import Spool
        from ao_collector.store import ServerStore
        from pathlib import Path

        sink = InsertSink()
        threading.Thread(target=sink.serve_forever, daemon=True).start()
        store = ServerStore(sink.url)
        trace, a, b = trace_id(), span_id(), span_id()
        batch = [request([
            run_root(trace, span_id(), "run1", "plan"), ao_call(trace, a, "run1"),
            ao_call(trace, b, "run1", start=T0 + 50 * MS, links=[Link(trace, a)]),
            openllmetry_call(trace, span_id(), start=T0 + 100 * MS, prompt="Name a colour.", answer="Blue."),
        ])]
        spool = Spool(Path(sys.argv[3]) / "spool", fsync=False)
        for r in batch:
            spool.append(r.SerializeToString(), 4)
        segment = spool.next_batch(linger=0.0)
        store.write_file(str(segment.path), "segment-tok")
        _statement, segment_parameters, segment_body = sink.last_insert
        store.write(batch, "tok")
        statement, parameters, body = sink.last_insert
        path = os.path.join(sys.argv[3], "sent.otlp")
        open(path, "wb").write(body)
        escaped = STRUCTURE.replace("'", "\\\\'")
        rows = lambda sql: store._decode(sql, "JSONEachRow").bytes().decode().splitlines()
        settings = ", ".join(f"{k} = {v!r}" for k, v in SERVER_DECODE_SETTINGS.items())
        inline = rows(decode_select(f"file('{path}', 'Protobuf', '{escaped}')") + f" SETTINGS {settings}")
        print(json.dumps({
            "inserts": sink.inserts, "statement": statement, "token": parameters.get("insert_deduplication_token"),
            "source": parameters.get("format_schema_source"), "body": body == length_delimited([r.SerializeToString() for r in batch]),
            "same_rows": inline == rows(decode_query(path, proto_file())), "spans": len(inline),
            "segment_body": segment_body == segment.path.read_bytes(),
            "segment_token": segment_parameters.get("insert_deduplication_token"),
            "segment_rows": rows(decode_query(str(segment.path), proto_file())) == inline,
        }))
        store.close()
    """)
    done = subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent), str(Path(__file__).parents[2]),
                           str(tmp_path)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["inserts"] == 2 and result["token"] == ["tok"] and result["source"] == ["string"]
    # A spool segment is sent as it is on disk (streamed), and decodes to the same rows.
    assert result["segment_body"] and result["segment_token"] == ["segment-tok"] and result["segment_rows"]
    assert result["statement"].startswith("INSERT INTO ao.otel_traces (`Timestamp`, `TraceId`")
    assert "FROM input(" in result["statement"] and result["statement"].endswith("FORMAT Protobuf")
    assert result["body"] and result["same_rows"] and result["spans"] == 4
