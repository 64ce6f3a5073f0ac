"""`ao-collector migrate` as a subprocess: a store made ready for spans from another writer."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path


def migrate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ao_collector", "migrate", *args], capture_output=True, text=True,
                          timeout=120)


def test_migrate_creates_the_views_and_prices_once(tmp_path: Path) -> None:
    data = tmp_path / "store"
    first, second = migrate("--data-dir", str(data)), migrate("--data-dir", str(data))
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert "is current" in second.stdout
    check = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import json
        from ao_collector.store import open_store
        store = open_store({str(data)!r})
        print(json.dumps({{
            "views": [r["name"] for r in store.query("SELECT name FROM system.tables WHERE database = 'ao' "
                                                     "AND name = 'ao_llm_calls_mv'")],
            "versions": store.query("SELECT uniqExact(Version) AS n, count() > 0 AS any FROM ao.ao_prices")[0],
        }}))
    """)], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout.splitlines()[-1]) == {"views": ["ao_llm_calls_mv"], "versions": {"n": 1, "any": True}}


def test_migrate_names_a_store_it_cannot_reach() -> None:
    done = migrate("--clickhouse-url", "http://127.0.0.1:1")
    assert done.returncode == 2
    assert "cannot reach ClickHouse at 127.0.0.1:1" in done.stderr
