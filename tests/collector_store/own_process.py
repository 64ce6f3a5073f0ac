"""Store scripts run in a process of their own: chDB takes one data path per process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def run_store_script(script: str, data_dir: Path) -> Any:
    """Run `script` (given the data dir as argv[1]); the last line it printed, as JSON."""
    done = subprocess.run([sys.executable, "-c", script, str(data_dir)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
