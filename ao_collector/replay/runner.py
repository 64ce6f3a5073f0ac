"""Starts `ao-instrument --replay` for a recorded run and tracks it until it ends.

Only the recorded command is run: the process is always
`[sys.executable, "-m", "ao_instrument.launcher", "--replay", RUN_ID, "--run-id", NEW_ID]` (the launcher
re-executes the run's recorded command in its recorded directory); nothing from a request is executed.
Its output goes to `DATA_DIR/replays/NEW_ID.log`.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
from pathlib import Path


class ReplayRefused(Exception):
    """Why this collector does not start the replay (the message tells the command to run instead)."""


class ReplayRunner:
    """Launches replays of runs recorded on this host and knows which still run."""

    def __init__(self, allowed: bool, log_dir: Path, api_url: str, otlp_url: str, token: str | None) -> None:
        self.allowed = allowed
        self.log_dir = log_dir
        self.api_url = api_url
        self.otlp_url = otlp_url
        self.token = token
        self._running: dict[str, tuple[str, subprocess.Popen[bytes]]] = {}
        self._lock = threading.Lock()

    def start(self, run_id: str, host_name: str | None) -> str:
        """Start the replay of `run_id` (recorded on `host_name`); the new run's id."""
        command = f"ao-instrument --replay {run_id}"
        if not self.allowed:
            raise ReplayRefused(f"this collector was not started with --allow-replay; run `{command}` instead")
        here = socket.gethostname()
        if host_name != here:
            recorded = f"on host {host_name!r}" if host_name else "on a host it did not record"
            raise ReplayRefused(f"run {run_id} was recorded {recorded}, not on {here!r}; run `{command}` there")
        new_id = secrets.token_hex(16)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, AO_COLLECTOR_API_URL=self.api_url, AO_API_URL=self.api_url,
                   OTEL_EXPORTER_OTLP_ENDPOINT=self.otlp_url, OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
                   AO_NO_AUTOSTART="1")
        if self.token:
            env["AO_API_TOKEN"] = self.token
        argv = [sys.executable, "-m", "ao_instrument.launcher", "--replay", run_id, "--run-id", new_id]
        with open(self.log_dir / f"{new_id}.log", "wb") as log:
            process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        with self._lock:
            self._running[new_id] = (run_id, process)
        threading.Thread(target=self._reap, args=(new_id, process), name="ao-replay", daemon=True).start()
        return new_id

    def _reap(self, new_id: str, process: subprocess.Popen[bytes]) -> None:
        process.wait()
        with self._lock:
            self._running.pop(new_id, None)

    def running(self) -> dict[str, str]:
        """New run id -> replayed run id, of the replays still running."""
        with self._lock:
            return {new_id: run_id for new_id, (run_id, _) in self._running.items()}

    def process(self, new_id: str) -> subprocess.Popen[bytes] | None:
        with self._lock:
            entry = self._running.get(new_id)
        return entry[1] if entry else None
