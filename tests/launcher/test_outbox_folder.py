"""The outbox folder's naming and claims, on a real directory: two readers never send one batch twice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ao_instrument.launcher.outbox_folder import Outbox, local_tag


def test_batches_are_named_for_a_local_endpoints_port() -> None:
    assert local_tag("http://127.0.0.1:4318/v1/traces") == "local4318"
    assert local_tag("localhost:4317") == "local4317"
    assert local_tag("http://[::1]:9000") == "local9000"
    assert local_tag("https://otel.example.com:4318/v1/traces") is None
    assert local_tag("http://127.0.0.1:notaport") is None


def test_files_are_chosen_by_tag_and_claimed_once(tmp_path: Path) -> None:
    local = Outbox(tmp_path, 1 << 20, "local4318").keep(b"a", 1)
    other = Outbox(tmp_path, 1 << 20, "local9999").keep(b"b", 1)
    remote = Outbox(tmp_path, 1 << 20).keep(b"c", 1)
    outbox = Outbox(tmp_path, 1 << 20)
    assert outbox.files() == sorted([local, other, remote])
    assert outbox.files(("local4318",)) == [local]
    claimed = outbox.claim(local)
    assert claimed is not None and claimed.read_bytes() == b"a"
    assert outbox.claim(local) is None  # taken already
    assert outbox.files(("local4318",)) == []
    outbox.take_back_abandoned()  # this process is alive: the claim stays
    assert outbox.files(("local4318",)) == []
    outbox.release(claimed)
    assert outbox.files(("local4318",)) == [local]
    assert outbox.size() == 3


def test_a_claim_of_a_process_that_died_goes_back(tmp_path: Path) -> None:
    path = Outbox(tmp_path, 1 << 20, "local4318").keep(b"payload", 1)
    assert path is not None
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    path.rename(path.with_name(f"{path.name}.claimed-{int(dead.stdout)}"))
    outbox = Outbox(tmp_path, 1 << 20)
    assert outbox.files() == []
    outbox.take_back_abandoned()
    assert outbox.files() == [path] and path.read_bytes() == b"payload"


def test_a_refused_batch_is_set_aside(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path, 1 << 20)
    path = outbox.keep(b"bad", 1)
    assert path is not None
    claimed = outbox.claim(path)
    assert claimed is not None
    outbox.set_aside(claimed)
    assert outbox.files() == [] and (tmp_path / "refused" / path.name).read_bytes() == b"bad"
