"""Loaded by every Python process started under `ao-instrument` (this folder is put first on PYTHONPATH).

Sets up ao in the process, then hands over to the next `sitecustomize` on the path, if any; the
entry script runs afterwards (see `main_script.py`), once start-up is over. When ao set the process
up, `opentelemetry-instrument`'s own `sitecustomize` (there when both launchers are in play) is
passed over: it would initialize the same instrumentation a second time.
"""

import importlib.machinery
import importlib.util
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
_skip = {_here}

try:
    from ao_instrument.launcher.boot import boot

    if boot():
        import opentelemetry.instrumentation.auto_instrumentation as _auto

        _skip.add(os.path.dirname(os.path.abspath(_auto.__file__)))
except Exception:  # fail open: the program runs uninstrumented; the reason goes to ao's log, not the terminal
    try:
        import logging

        from ao_instrument.launcher.home import route_logs_to_file

        route_logs_to_file()
        logging.getLogger("ao_instrument").exception("ao: instrumentation disabled in this process")
    except Exception:
        pass

_rest = [p for p in sys.path if os.path.abspath(p or ".") not in _skip]
_spec = importlib.machinery.PathFinder.find_spec("sitecustomize", _rest)
if _spec is not None and _spec.loader is not None:
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["sitecustomize"] = _module
    _spec.loader.exec_module(_module)
