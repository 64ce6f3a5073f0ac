"""Start a background collector when none answers (used by the `ao-instrument` launcher, contract C1).

Light on purpose: the launcher imports it on every run, so nothing here loads the collector itself.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path


def ao_home() -> Path:
    """`$AO_HOME`, else `~/.ao`: the default data dir, and where the spool, log and lock file go."""
    return Path(os.environ.get("AO_HOME") or Path.home() / ".ao").expanduser()


def collector_health(host: str = "127.0.0.1", api_port: int = 4320, timeout: float = 1.0) -> dict | None:
    """The `/healthz` answer of an ao collector at host:api_port, or None when none answers."""
    import urllib.request  # not loaded by a launcher whose collector answers on its OTLP port (start-up time)

    try:
        with urllib.request.urlopen(f"http://{_netloc(host, api_port)}/healthz", timeout=timeout) as response:
            answer = json.loads(response.read())
    except (OSError, ValueError):
        return None
    return answer if isinstance(answer, dict) and answer.get("service") == "ao-collector" else None


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_collector(
    host: str = "127.0.0.1",
    http_port: int = 4318,
    grpc_port: int = 4317,
    api_port: int = 4320,
    data_dir: str | os.PathLike[str] | None = None,
    timeout: float = 15.0,
) -> bool:
    """True once a collector takes OTLP at host:http_port, starting `ao-collector serve` in the background if needed.

    Something else already listening on the OTLP/HTTP port (another OpenTelemetry collector) counts as
    answering. Two launchers starting at once serialise on a lock file in `$AO_HOME`, so only one collector
    is started. Its output goes to `$AO_HOME/collector.log`. False when it did not come up within `timeout`.
    """
    if _port_open(host, http_port) or collector_health(host, api_port) is not None:
        return True
    home = ao_home()
    home.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with open(home / "collector.lock", "w") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.05)
        if collector_health(host, api_port) is not None or _port_open(host, http_port):
            return True
        process = _spawn(home, host, http_port, grpc_port, api_port, data_dir)
        while time.monotonic() < deadline:
            if collector_health(host, api_port, timeout=0.5) is not None:
                return True
            if process.poll() is not None:
                return _port_open(host, http_port)
            time.sleep(0.05)
    return False


def _spawn(
    home: Path, host: str, http_port: int, grpc_port: int, api_port: int, data_dir: str | os.PathLike[str] | None
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "ao_collector", "serve",
        "--host", host,
        "--http-port", str(http_port),
        "--grpc-port", str(grpc_port),
        "--api-port", str(api_port),
    ]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    with open(home / "collector.log", "ab") as log_file:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=_clean_environment(),
        )


def _clean_environment() -> dict[str, str]:
    """The launcher's environment minus what would instrument the collector itself (it would trace its own exports)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["OTEL_SDK_DISABLED"] = "true"
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and not (Path(p) / "sitecustomize.py").exists()]
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    else:
        env.pop("PYTHONPATH", None)
    return env
