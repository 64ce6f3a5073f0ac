"""Backend configuration and failure: URLs, credentials, unreachable server, locked or closed data dir."""

from __future__ import annotations

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
