"""A data dir the collector cannot write: `ao-collector serve` stops at once and names the cause."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.collector_service.helpers import REPO, child_env


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory on a read-only file system (a read-only bind mount as root; without write permission otherwise)."""
    source, target = tmp_path / "source", tmp_path / "read-only"
    source.mkdir()
    target.mkdir()
    if os.geteuid() != 0:
        source.chmod(0o555)
        yield source
        source.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "--bind", str(source), str(target)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"root without the right to mount, so no read-only directory can be made: {mounted.stderr.strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True, capture_output=True)
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=True)


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ao_collector", "serve", "--grpc-port", "0", "--http-port", "0", "--api-port", "0", *args]
    return subprocess.run(command, capture_output=True, text=True, env=child_env(), cwd=REPO, timeout=120)


def test_read_only_data_dir_is_named_as_such(read_only_dir: Path, tmp_path: Path) -> None:
    spool_first = _serve("--data-dir", str(read_only_dir))
    assert spool_first.returncode != 0
    message = " ".join(spool_first.stderr.split())
    assert "not writable" in message and "spool dir" in message, message

    store = _serve("--data-dir", str(read_only_dir), "--spool-dir", str(tmp_path / "spool"))
    assert store.returncode != 0
    message = " ".join(store.stderr.split())
    assert f"data dir {read_only_dir} is not writable" in message, message
    assert "another process" not in message
