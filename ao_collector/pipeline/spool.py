"""Write-ahead spool: accepted export requests are appended to segment files before they are acknowledged.

A segment is a file of records that ClickHouse reads in place as length-delimited `ExportTraceServiceRequest`
messages (its `Protobuf` format): each record is `<varint length><head><payload>`, where the payload is one
serialized request and the head is field 2047 of the request, fixed64 `<spans u32><crc32 u32>` (the
payload's span count and checksum), a field ClickHouse and protobuf skip as unknown. So a sealed segment
is a store batch as it stands: no copy is made to write it.

The newest segment is *active* (receives appends); once it is big or old enough it is *sealed* and becomes
one store batch, written with the token `<spool id>-<segment number>`, then deleted. After a crash every
segment file left on disk is replayed with the same token, so the store sees each batch exactly once.
Segment numbers never repeat (the next one is kept in `NEXT`): the store drops a batch whose token it has
seen, so a number used again after a restart would lose that batch. Segments of collectors before this
format (`<n>.seg`: records `<length u32><spans u32><crc32 u32><payload>`) are rewritten at start.

`rejected/` keeps what the store refused: a whole segment (`<n>.spool`) the store kept failing on, or one
request of a segment (`<n>-<index>.otlp`, a serialized ExportTraceServiceRequest) that it refused on its
own while the rest of the segment was written; each with its reason in `<file>.reason`. Move a segment
back into the spool directory to replay it.
"""

from __future__ import annotations

import fcntl
import os
import struct
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ao_collector.model.otlp_proto import varint

# A record's head: the tag of field 2047, wire type fixed64 (varint 2047 << 3 | 1), then spans and crc32.
_TAG = b"\xf9\x7f"
_COUNTS = struct.Struct("<II")
_HEAD_SIZE = len(_TAG) + _COUNTS.size
_LEGACY_HEADER = struct.Struct("<III")
# A segment (a batch) is sealed at this many spans or bytes, unless told otherwise: sizes that save the
# embedded store merges (bench/README.md, issue 11).
SEGMENT_MAX_SPANS = 30_000
SEGMENT_MAX_BYTES = 96 << 20
_SUFFIX = ".spool"
_LEGACY_SUFFIX = ".seg"


class SpoolFull(Exception):
    """The spool is over its size bound: the sender should retry later."""


class SpoolLocked(Exception):
    """Another process holds this spool directory."""


@dataclass
class Segment:
    """One segment file; sealed segments are immutable batches."""

    seq: int
    path: Path
    size: int = 0
    spans: int = 0
    records: int = 0
    created: float = field(default_factory=time.monotonic)
    fd: int | None = None
    synced: int = 0
    written_here: bool = False  # appended by this process: its records need no checksum check when read back

    def read(self) -> list[bytes]:
        """Return the payloads of this segment's records, in order."""
        return read_requests(self.path, verify=not self.written_here)


def read_requests(path: Path, verify: bool = True) -> list[bytes]:
    """The serialized requests in the segment file at `path`, in order (up to a torn or corrupt record)."""
    data = path.read_bytes()
    return [data[start:end] for start, end, _spans in _records(data, verify)[0]]


def _record_head(payload: bytes, spans: int) -> bytes:
    """What precedes `payload` in its record: the record's length and its head."""
    return varint(_HEAD_SIZE + len(payload)) + _TAG + _COUNTS.pack(spans, zlib.crc32(payload))


def _records(data: bytes, verify: bool = True) -> tuple[list[tuple[int, int, int]], int]:
    """The records of a segment's bytes as (payload start, payload end, spans), checking each payload's crc32
    when `verify`, up to the first torn or corrupt one; and the length of that valid prefix."""
    records: list[tuple[int, int, int]] = []
    pos = 0
    end = len(data)
    while pos < end:
        length = shift = 0
        cursor = pos
        while cursor < end and shift < 35:
            byte = data[cursor]
            cursor += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        else:
            break  # the length itself is torn
        start = cursor + _HEAD_SIZE
        stop = cursor + length
        if length < _HEAD_SIZE or stop > end or data[cursor : cursor + len(_TAG)] != _TAG:
            break
        spans, crc = _COUNTS.unpack_from(data, cursor + len(_TAG))
        if verify and zlib.crc32(memoryview(data)[start:stop]) != crc:
            break
        records.append((start, stop, spans))
        pos = stop
    return records, pos


def _legacy_records(data: bytes) -> list[tuple[bytes, int]]:
    """(payload, spans) of the valid records of a segment in the format before this one."""
    records: list[tuple[bytes, int]] = []
    pos = 0
    while pos + _LEGACY_HEADER.size <= len(data):
        length, spans, crc = _LEGACY_HEADER.unpack_from(data, pos)
        start = pos + _LEGACY_HEADER.size
        payload = data[start : start + length]
        if start + length > len(data) or zlib.crc32(payload) != crc:
            break
        records.append((payload, spans))
        pos = start + length
    return records


class Spool:
    """Segment files in one directory, bounded by `max_bytes`, locked to this process."""

    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int = 512 << 20,
        segment_max_spans: int = SEGMENT_MAX_SPANS,
        segment_max_bytes: int = SEGMENT_MAX_BYTES,
        fsync: bool = True,
    ) -> None:
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._lock_fd = os.open(self.directory / "LOCK", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise OSError(
                f"spool dir {self.directory} is not writable ({error.strerror}); accepted spans are kept there "
                "before they are acknowledged: make it writable or pick another data dir (--data-dir, AO_HOME) or --spool-dir"
            ) from None
        self.max_bytes = max_bytes
        self.segment_max_spans = segment_max_spans
        self.segment_max_bytes = segment_max_bytes
        self.fsync = fsync
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            raise SpoolLocked(f"spool {self.directory} is in use by another process") from None
        next_seq = self._load_next()
        self.spool_id = self._load_id()
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._sealed: list[Segment] = []
        self._active: Segment | None = None
        self._bytes = 0
        self._spans = 0
        self._next_seq = next_seq
        self._recover()

    def _load_id(self) -> str:
        try:
            return (self.directory / "ID").read_text().strip()
        except FileNotFoundError:
            spool_id = uuid.uuid4().hex
            self._replace_file("ID", spool_id)
            self._sync_dir()
            return spool_id

    def _load_next(self) -> int:
        """The next segment number: past every number this spool has given (segments on disk raise it further).

        A spool of an older collector (an ID, no NEXT) restarted its numbers at 1 on every start: its
        successor starts from the clock in seconds, above any count it can have reached."""
        try:
            return max(1, int((self.directory / "NEXT").read_text().strip()))
        except (FileNotFoundError, ValueError):
            return int(time.time()) if (self.directory / "ID").exists() else 1

    def _replace_file(self, name: str, data: str | bytes) -> None:
        """Write `name` whole, atomically (a new file renamed over the old one; the caller syncs the directory)."""
        path = self.directory / name
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
            if self.fsync:
                os.fsync(f.fileno())
        os.replace(tmp, path)

    def _recover(self) -> None:
        """Seal every segment left by a previous process, dropping a torn tail record."""
        for path in sorted(self.directory.glob(f"*{_LEGACY_SUFFIX}")):
            self._convert_legacy(path)
        for path in sorted(self.directory.glob(f"*{_SUFFIX}")):
            seq = int(path.stem)
            data = path.read_bytes()
            records, valid = _records(data)
            if valid == 0:
                path.unlink()
                continue
            if valid < len(data):
                with open(path, "r+b") as f:
                    f.truncate(valid)
                    os.fsync(f.fileno())
            self._sealed.append(Segment(seq, path, size=valid, spans=sum(spans for *_, spans in records), synced=valid))
            self._bytes += valid
            self._spans += self._sealed[-1].spans
            self._next_seq = max(self._next_seq, seq + 1)

    def _convert_legacy(self, path: Path) -> None:
        """Rewrite a segment of the format before this one (`<n>.seg`) as `<n>.spool`, same number (so the
        same token), then remove it; a crash in between leaves the complete new file, and the old one is
        removed on the next start."""
        target = path.with_suffix(_SUFFIX)
        if not target.exists():
            records = b"".join(_record_head(payload, spans) + payload for payload, spans in _legacy_records(path.read_bytes()))
            self._replace_file(target.name, records)
            if self.fsync:
                self._sync_dir()
        path.unlink()

    def token(self, segment: Segment) -> str:
        """The stable idempotency token of a sealed segment."""
        return f"{self.spool_id}-{segment.seq}"

    @property
    def pending_bytes(self) -> int:
        return self._bytes

    @property
    def pending_spans(self) -> int:
        return self._spans

    def pending_segments(self) -> int:
        with self._lock:
            return len(self._sealed) + (1 if self._active and self._active.records else 0)

    def append(self, payload: bytes, spans: int) -> None:
        """Durably append one request; raises SpoolFull when over the bound."""
        header = _record_head(payload, spans)
        size = len(header) + len(payload)
        with self._lock:
            if self._bytes + size > self.max_bytes and self._bytes > 0:
                raise SpoolFull(f"spool holds {self._bytes} bytes (bound {self.max_bytes})")
            segment = self._active or self._open_segment()
            try:
                written = os.writev(segment.fd, (header, payload))  # type: ignore[arg-type]  # no copy of the payload
                if written < size:  # a short write: the rest, piece by piece
                    rest = memoryview(header + payload)[written:]
                    while rest:
                        rest = rest[os.write(segment.fd, rest):]  # type: ignore[arg-type]
            except OSError:
                os.ftruncate(segment.fd, segment.size)  # type: ignore[arg-type]  # no torn record before later ones
                raise
            segment.size += size
            segment.spans += spans
            segment.records += 1
            self._bytes += size
            self._spans += spans
            upto = segment.size
            if segment.spans >= self.segment_max_spans or segment.size >= self.segment_max_bytes:
                self._seal_locked()
                self._changed.notify_all()
            elif segment.records == 1:
                self._changed.notify_all()
        if self.fsync:
            self._sync(segment, upto)

    def _open_segment(self) -> Segment:
        seq = self._next_seq
        self._next_seq += 1
        self._replace_file("NEXT", str(self._next_seq))  # before the segment exists: its number is never given again
        path = self.directory / f"{seq:012d}{_SUFFIX}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        if self.fsync:
            self._sync_dir()  # the segment and NEXT
        self._active = Segment(seq, path, fd=fd, written_here=True)
        return self._active

    def _sync(self, segment: Segment, upto: int) -> None:
        """Group commit: one fsync covers every append made before it started."""
        with self._sync_lock:
            if segment.synced >= upto or segment.fd is None:
                return
            target = segment.size
            os.fdatasync(segment.fd)
            segment.synced = max(segment.synced, target)

    def _seal_locked(self) -> None:
        segment = self._active
        if segment is None:
            return
        self._active = None
        with self._sync_lock:
            if self.fsync and segment.synced < segment.size:
                os.fdatasync(segment.fd)  # type: ignore[arg-type]
            segment.synced = segment.size
            os.close(segment.fd)  # type: ignore[arg-type]
            segment.fd = None
        if segment.records:
            self._sealed.append(segment)
        else:
            segment.path.unlink()

    def _sync_dir(self, directory: Path | None = None) -> None:
        fd = os.open(directory or self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def next_batch(self, linger: float | Callable[[float], float], stop: threading.Event | None = None,
                   timeout: float | None = None) -> Segment | None:
        """Wait for the oldest sealed segment, sealing the active one once it is `linger` seconds old (or
        `linger(created)`, of its creation time).

        With `stop` set, the active segment is sealed at once (flush). Returns None on timeout, or when
        stopping and nothing is left.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while True:
                if self._sealed:
                    return self._sealed[0]
                active = self._active
                now = time.monotonic()
                if active is not None and active.records:
                    seconds = linger(active.created) if callable(linger) else linger
                    if (stop is not None and stop.is_set()) or now - active.created >= seconds:
                        self._seal_locked()
                        continue
                    wait = active.created + seconds - now
                elif stop is not None and stop.is_set():
                    return None
                else:
                    wait = 0.5
                if deadline is not None:
                    if now >= deadline:
                        return None
                    wait = min(wait, deadline - now)
                self._changed.wait(wait)

    def wake(self) -> None:
        """Wake a waiting `next_batch` (used on shutdown)."""
        with self._lock:
            self._changed.notify_all()

    def ack(self, segment: Segment) -> None:
        """The store has the batch: forget the segment."""
        with self._lock:
            self._sealed.remove(segment)
            self._bytes -= segment.size
            self._spans -= segment.spans
        segment.path.unlink(missing_ok=True)

    def quarantine(self, segment: Segment, reason: str) -> Path:
        """Move a batch the store keeps rejecting aside (kept on disk for inspection, out of the bound), with
        `reason` beside it in `<name>.reason`."""
        target = self._rejected() / segment.path.name
        self._write_aside(target.with_name(f"{target.name}.reason"), reason.encode() + b"\n")
        with self._lock:
            self._sealed.remove(segment)
            self._bytes -= segment.size
            self._spans -= segment.spans
        os.replace(segment.path, target)
        return target

    def quarantine_request(self, segment: Segment, index: int, payload: bytes, reason: str) -> tuple[Path, int]:
        """Keep request `index` of a segment that the store refuses on its own in
        `rejected/<segment>-<index>.otlp` (a serialized ExportTraceServiceRequest) with `reason` in
        `<that>.reason`; returns the path and its span count. The segment itself is acked by the caller."""
        target = self._rejected() / f"{segment.path.stem}-{index:05d}.otlp"
        self._write_aside(target.with_name(f"{target.name}.reason"), reason.encode() + b"\n")
        self._write_aside(target, payload)
        if self.fsync:
            self._sync_dir(target.parent)
        return target, _records(segment.path.read_bytes(), verify=False)[0][index][2]

    def _rejected(self) -> Path:
        dead = self.directory / "rejected"
        dead.mkdir(exist_ok=True)
        return dead

    def _write_aside(self, path: Path, data: bytes) -> None:
        """Write a file of `rejected/` whole (a replay after a crash writes it again, the same)."""
        tmp = path.with_name(f".{path.name}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            if self.fsync:
                os.fsync(f.fileno())
        os.replace(tmp, path)

    def close(self) -> None:
        """Seal the active segment (it is replayed on the next start) and release the lock."""
        with self._lock:
            self._seal_locked()
        os.close(self._lock_fd)
