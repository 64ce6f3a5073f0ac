"""pytest plugin for the safety check: rewrite the modules under `AO_TAINT_PATHS` as they are imported.

Loaded with `-p rewrite_plugin` (this folder on `PYTHONPATH`) so the hook is in place before the
library under test is imported; at the end it reports how many modules were rewritten.
"""

from __future__ import annotations

import sys
from typing import Any

from ao_instrument.dataflow import import_hook, install_hook

install_hook()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    rewritten = sorted(
        name for name, module in list(sys.modules.items())
        if isinstance(getattr(module, "__loader__", None), import_hook.RewritingLoader)
    )  # fmt: skip
    terminalreporter.write_line(f"ao: {len(rewritten)} modules rewritten: {', '.join(rewritten)}")
