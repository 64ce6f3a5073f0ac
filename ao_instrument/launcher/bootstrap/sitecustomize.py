"""Loaded by every Python process started under `ao-instrument` (this folder is put first on PYTHONPATH).

Sets up ao in the process, then hands over to the next `sitecustomize` on the path, if any.
"""

import importlib.machinery
import importlib.util
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))

try:
    from ao_instrument.launcher.boot import boot

    boot()
except Exception as _error:  # fail open: the program runs uninstrumented
    sys.stderr.write(f"ao: instrumentation disabled in this process: {_error!r}\n")

_rest = [p for p in sys.path if os.path.abspath(p or ".") != _here]
_spec = importlib.machinery.PathFinder.find_spec("sitecustomize", _rest)
if _spec is not None and _spec.loader is not None:
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["sitecustomize"] = _module
    _spec.loader.exec_module(_module)
