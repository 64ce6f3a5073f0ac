"""The write-ahead spool on its own: torn tails, a second owner, a failing disk."""

from __future__ import annotations

import resource
import signal
import struct
import zlib
from pathlib import Path

import pytest
from google.protobuf.internal.decoder import _DecodeVarint32
from google.protobuf.unknown_fields import UnknownFieldSet
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from ao_collector.pipeline.spool import Spool, SpoolLocked


def test_spool_drops_a_torn_tail_and_refuses_a_second_owner(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", fsync=False)
    spool.append(b"first", 1)
    spool.append(b"second", 2)
    with pytest.raises(SpoolLocked):
        Spool(tmp_path / "spool")
    spool.close()
    segment_file = next((tmp_path / "spool").glob("*.spool"))
    with open(segment_file, "ab") as f:
        f.write(b"\x30\xf9\x7f\x01\x00\x00\x00\x00\x00\x00\x00partial record")  # killed in the middle of a write
    reopened = Spool(tmp_path / "spool")
    batch = reopened.next_batch(linger=0.0)
    assert batch is not None and batch.read() == [b"first", b"second"] and batch.spans == 3
    reopened.ack(batch)
    assert reopened.pending_bytes == 0 and not list((tmp_path / "spool").glob("*.spool"))
    reopened.close()


def test_a_segment_is_length_delimited_requests_with_a_head_protobuf_skips(tmp_path: Path) -> None:
    """ClickHouse reads a sealed segment in place as length-delimited requests: each record is one message,
    the request's own fields plus the head (spans, crc32) as an unknown field."""
    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.add(name="chat", trace_id=b"t" * 16, span_id=b"s" * 8)
    payload = request.SerializeToString()
    spool = Spool(tmp_path / "spool", fsync=False)
    spool.append(payload, 1)
    spool.append(payload, 1)
    spool.close()
    data = next((tmp_path / "spool").glob("*.spool")).read_bytes()
    messages = []
    while data:
        length, start = _DecodeVarint32(data, 0)
        messages.append(ExportTraceServiceRequest.FromString(data[start : start + length]))
        data = data[start + length :]
    assert len(messages) == 2
    for message in messages:
        assert message.resource_spans[0].scope_spans[0].spans[0].name == "chat"
        [(number, wire_type, counts)] = [(f.field_number, f.wire_type, f.data) for f in UnknownFieldSet(message)]
        assert (number, wire_type) == (2047, 1) and counts & 0xFFFFFFFF == 1 and counts >> 32 == zlib.crc32(payload)


def test_a_segment_of_the_format_before_is_rewritten_at_start_under_its_number(tmp_path: Path) -> None:
    """A collector upgraded with batches in its spool writes them under the same token, so none is lost or doubled."""
    spool = Spool(tmp_path / "spool", fsync=False)
    spool.close()
    records = [(b"first", 1), (b"second", 2)]
    legacy = b"".join(struct.pack("<III", len(payload), spans, zlib.crc32(payload)) + payload for payload, spans in records)
    (tmp_path / "spool" / "000000000007.seg").write_bytes(legacy + b"\x40\x00\x00\x00torn")
    reopened = Spool(tmp_path / "spool", fsync=False)
    batch = reopened.next_batch(linger=0.0)
    assert batch is not None and batch.seq == 7 and batch.read() == [b"first", b"second"] and batch.spans == 3
    assert reopened.token(batch).endswith("-7") and not list((tmp_path / "spool").glob("*.seg"))
    reopened.ack(batch)
    reopened.close()


def test_a_corrupt_record_ends_what_is_replayed(tmp_path: Path) -> None:
    """A record whose checksum does not match (a bad disk block) is not replayed, nor anything after it."""
    spool = Spool(tmp_path / "spool", fsync=False)
    for payload in (b"first", b"second", b"third"):
        spool.append(payload, 1)
    spool.close()
    path = next((tmp_path / "spool").glob("*.spool"))
    data = bytearray(path.read_bytes())
    data[data.index(b"second")] ^= 0xFF
    path.write_bytes(bytes(data))
    reopened = Spool(tmp_path / "spool", fsync=False)
    batch = reopened.next_batch(linger=0.0)
    assert batch is not None and batch.read() == [b"first"] and batch.spans == 1
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
        assert not list((tmp_path / "spool").glob("*.spool"))
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
