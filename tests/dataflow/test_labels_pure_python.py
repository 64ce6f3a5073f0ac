"""The pure-Python fallback: the label and rewriting tests run again with the C helper unavailable.

The helper is optional (`label_types.py` imports it if it was built); blocking its import in a fresh
process gives what an install without a compiler runs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITES = [
    "tests/dataflow/test_labels.py",
    "tests/dataflow/test_labels_fast_paths.py",
    "tests/dataflow/test_labels_iteration.py",
    "tests/dataflow/test_rewrite.py",
    "tests/dataflow/test_propagation_more.py",
]
PURE = (
    "import sys\n"
    "sys.modules['ao_instrument.dataflow._speedups'] = None  # import fails: as if never built\n"
    "from ao_instrument.dataflow import label_types\n"
    "from ao_instrument.dataflow.handlers import registry\n"
    "assert label_types._speedups is None and not registry.COMPILED\n"
    "import pytest\n"
    "sys.exit(pytest.main(sys.argv[1:]))\n"
)


def test_label_suites_pass_without_the_c_helper() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PURE, "-p", "no:cacheprovider", *SUITES],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and " failed" not in proc.stdout
