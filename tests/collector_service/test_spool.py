"""The write-ahead spool on its own: torn tails, a second owner, a failing disk."""

from __future__ import annotations

import resource
import signal
from pathlib import Path

import pytest

from ao_collector.pipeline.spool import Spool, SpoolLocked


def test_spool_drops_a_torn_tail_and_refuses_a_second_owner(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", fsync=False)
    spool.append(b"first", 1)
    spool.append(b"second", 2)
    with pytest.raises(SpoolLocked):
        Spool(tmp_path / "spool")
    spool.close()
    segment_file = next((tmp_path / "spool").glob("*.seg"))
    with open(segment_file, "ab") as f:
        f.write(b"\x40\x00\x00\x00\x01\x00\x00\x00partial record")  # killed in the middle of a write
    reopened = Spool(tmp_path / "spool")
    batch = reopened.next_batch(linger=0.0)
    assert batch is not None and batch.read() == [b"first", b"second"] and batch.spans == 3
    reopened.ack(batch)
    assert reopened.pending_bytes == 0 and not list((tmp_path / "spool").glob("*.seg"))
    reopened.close()


def test_a_failed_append_leaves_no_torn_record(tmp_path: Path) -> None:
    """A write that fails half way (disk full; here a file size limit) is cut off, so later records replay."""
    spool = Spool(tmp_path / "spool", fsync=False, segment_max_bytes=1 << 30)
    spool.append(b"a" * 1000, 1)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, hard))
    try:
        with pytest.raises(OSError):
            spool.append(b"b" * (100 << 10), 1)  # partly written up to the limit, then EFBIG
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    spool.append(b"c" * 1000, 1)
    spool.close()
    reopened = Spool(tmp_path / "spool")
    batch = reopened.next_batch(linger=0.0)
    assert batch is not None and batch.read() == [b"a" * 1000, b"c" * 1000]
    reopened.close()


def test_batch_tokens_never_repeat_across_restarts(tmp_path: Path) -> None:
    """The store drops a batch whose token it has already seen: after every segment was written and deleted,
    a restarted spool must not number its first segment as an earlier one was numbered."""
    tokens = []
    for _ in range(3):
        spool = Spool(tmp_path / "spool", fsync=False)
        spool.append(b"request", 1)
        batch = spool.next_batch(linger=0.0)
        assert batch is not None
        tokens.append(spool.token(batch))
        spool.ack(batch)
        assert not list((tmp_path / "spool").glob("*.seg"))
        spool.close()
    assert len(set(tokens)) == 3


def test_a_spool_of_an_older_collector_numbers_past_what_it_used(tmp_path: Path) -> None:
    """An older collector kept no NEXT and numbered from 1 on every start: its successor must not."""
    spool = Spool(tmp_path / "spool", fsync=False)
    spool.close()
    (tmp_path / "spool" / "NEXT").unlink(missing_ok=True)
    reopened = Spool(tmp_path / "spool", fsync=False)
    reopened.append(b"request", 1)
    batch = reopened.next_batch(linger=0.0)
    assert batch is not None and batch.seq > 10_000
    reopened.close()
