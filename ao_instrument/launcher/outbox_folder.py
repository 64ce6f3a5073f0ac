"""The span outbox's folder, `$AO_HOME/outbox/`: one OTLP/protobuf `ExportTraceServiceRequest` per file.

ao's exporter (`launcher.outbox`) keeps there what it could not deliver, bounded in bytes. A batch meant
for a collector on this machine is named for its port (`….local4318.otlp`), so that `ao-collector serve`
takes the batches sent to it when it starts; the next `ao-instrument` run sends every file to its own
endpoint. A reader claims a file by renaming it (`….otlp.claimed-<pid>`): two readers at once never send
one batch twice, and a claim whose process died goes back to the folder. Standard library only: the
collector reads the folder too.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import urllib.parse
from pathlib import Path

logger = logging.getLogger(__name__)

SUFFIX = ".otlp"
_CLAIMED = ".claimed-"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def local_tag(endpoint: str) -> str | None:
    """The name part of a batch for `endpoint` when it is on this machine (`local4318`), else None."""
    parsed = urllib.parse.urlsplit(endpoint if "//" in endpoint else f"//{endpoint}")
    try:
        port = parsed.port
    except ValueError:
        return None
    return f"local{port}" if parsed.hostname in _LOOPBACK and port else None


class Outbox:
    """The folder of undelivered export requests, one file each, bounded in bytes."""

    def __init__(self, directory: Path, max_bytes: int, tag: str | None = None) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.tag = tag  # of the batches this process keeps: `local_tag` of their endpoint
        self._lock = threading.Lock()
        self._count = 0

    def keep(self, payload: bytes, spans: int) -> Path | None:
        """Write one request; its path, or None when the outbox is full or not writable (logged)."""
        with self._lock:
            self._count += 1
            name = f"{time.time_ns():020d}-{os.getpid()}-{self._count}{'.' + self.tag if self.tag else ''}{SUFFIX}"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if self.size() + len(payload) > self.max_bytes:
                logger.error("ao: outbox %s is full; %d spans dropped", self.directory, spans)
                return None
            partial = self.directory / (name + ".part")
            partial.write_bytes(payload)
            path = partial.rename(self.directory / name)
        except OSError:
            logger.exception("ao: %d spans could not be kept in the outbox %s", spans, self.directory)
            return None
        logger.warning("ao: %d spans not delivered; kept in %s", spans, path)
        return path

    def files(self, tags: tuple[str, ...] | None = None) -> list[Path]:
        """The unclaimed requests, oldest first; with `tags`, only those kept for these endpoints."""
        try:
            paths = sorted(p for p in self.directory.iterdir() if p.name.endswith(SUFFIX))
        except OSError:
            return []
        if tags is None:
            return paths
        return [p for p in paths if p.name.removesuffix(SUFFIX).rpartition(".")[2] in tags]

    def kept_since(self, time_ns: int) -> list[Path]:
        """The unclaimed requests kept at or after `time_ns` (their names begin with the time they were kept)."""
        return [p for p in self.files() if p.name.partition("-")[0].isdigit() and int(p.name.partition("-")[0]) >= time_ns]

    def size(self) -> int:
        total = 0
        for path in self.directory.glob(f"*{SUFFIX}*"):
            try:
                total += path.stat().st_size
            except OSError:
                continue
        return total

    def claim(self, path: Path) -> Path | None:
        """Take `path` for this process to send; None when another reader took it first."""
        claimed = path.with_name(f"{path.name}{_CLAIMED}{os.getpid()}")
        try:
            path.rename(claimed)
        except OSError:
            return None
        return claimed

    @staticmethod
    def release(claimed: Path) -> None:
        """Give a claimed request back to the folder, unsent."""
        try:
            claimed.rename(claimed.with_name(claimed.name.partition(_CLAIMED)[0]))
        except OSError:
            logger.exception("ao: could not put %s back in the outbox", claimed)

    @staticmethod
    def set_aside(claimed: Path) -> None:
        """Move a request that its endpoint refused as malformed to `refused/`: it would never be taken."""
        refused = claimed.parent / "refused"
        name = claimed.name.partition(_CLAIMED)[0]
        try:
            refused.mkdir(exist_ok=True)
            claimed.rename(refused / name)
            logger.error("ao: outbox file %s refused as malformed by the endpoint; moved to %s", name, refused)
        except OSError:
            logger.exception("ao: could not move the refused outbox file %s", claimed)

    def take_back_abandoned(self) -> None:
        """Return to the folder the claims of processes that died while sending."""
        for claimed in self.directory.glob(f"*{SUFFIX}{_CLAIMED}*"):
            try:
                pid = int(claimed.name.rpartition("-")[2])
                os.kill(pid, 0)
            except ProcessLookupError:
                self.release(claimed)
            except (ValueError, OSError):  # not a claim name, or alive under another user
                continue
