"""chDB's allocator settings: read by chDB's jemalloc as it loads, the user's own first, none left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ao_collector.store.chdb_loading import INGEST_MALLOC_CONF

_LOAD_AND_QUERY = """
import os, sys
from ao_collector.store.chdb_loading import chdb_session
print(repr(os.environ.get("JE_MALLOC_CONF")))
print(chdb_session.Session(sys.argv[1]).query("SELECT 40 + 2", "CSV").bytes().decode().strip())
"""


def _load(tmp_path: Path, conf: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "JE_MALLOC_CONF"}
    if conf is not None:
        env["JE_MALLOC_CONF"] = conf
    return subprocess.run([sys.executable, "-c", _LOAD_AND_QUERY, str(tmp_path / "data")], env=env,
                          capture_output=True, text=True, timeout=120)


def test_ingest_settings_are_taken_out_of_the_environment_once_chdb_is_loaded(tmp_path: Path) -> None:
    done = _load(tmp_path, None)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["None", "42"]  # a replay's command, started later, does not inherit them


def test_ingest_settings_are_valid_jemalloc_options(tmp_path: Path) -> None:
    # abort_conf makes jemalloc abort the process on an option it does not know or a value it refuses.
    done = _load(tmp_path, "abort_conf:true," + INGEST_MALLOC_CONF)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "42"


def test_the_users_settings_win_and_reach_jemalloc_as_chdb_loads(tmp_path: Path) -> None:
    kept = _load(tmp_path, "dirty_decay_ms:1000")
    assert kept.returncode == 0, kept.stderr
    assert kept.stdout.split() == ["'dirty_decay_ms:1000'", "42"]
    refused = _load(tmp_path, "abort_conf:true,no_such_option:1")  # read at load: the process aborts
    assert refused.returncode != 0
    assert "42" not in refused.stdout
