"""Run the process's entry script with origin tracking.

Python compiles the entry script itself, outside the import system, so the import hook never sees
it. When origin tracking is on and the script is user code, the bootstrap runs the script itself
(rewritten) from `sitecustomize`, then ends the process the way the interpreter would: non-daemon
threads joined, atexit handlers run (spans flushed), streams flushed, the program's exit status.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback

from ao_instrument.genai.fail_open import report_internal_error

# Interpreter options that take a value in the next argument.
_LONG_OPTIONS_WITH_VALUE = {"--check-hash-based-pycs"}


def entry_script(orig_argv: list[str]) -> str | None:
    """The script path of `python [options] script.py args`, or None (`-c`, `-m`, `-i`, stdin, ...)."""
    args = orig_argv[1:]
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _LONG_OPTIONS_WITH_VALUE:
            i += 2
            continue
        if arg == "--":
            i += 1
            break
        if arg.startswith("--"):
            i += 1
            continue
        if arg.startswith("-") and arg != "-":
            # A cluster of one-letter flags; -W and -X take the rest of the cluster, or the next argument.
            i += 1
            for position, letter in enumerate(arg[1:], start=2):
                if letter in "cmi":
                    return None
                if letter in "WX":
                    i += position == len(arg)
                    break
            continue
        break
    if i >= len(args) or args[i] == "-":
        return None
    path = args[i]
    return path if _is_plain_source(path) else None


def _is_plain_source(path: str) -> bool:
    """A source file Python compiles itself (any name: scripts may lack `.py`), not a zip application."""
    if not os.path.isfile(path):
        return False
    with open(path, "rb") as f:
        return not f.read(4).startswith(b"PK\x03\x04")  # a zip application runs through zipimport


def _exit_status(code: object) -> int:
    """The exit status CPython derives from `SystemExit.code`."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stderr.write(f"{code}\n")
    except Exception:
        pass
    return 1


def _run_exit_handlers() -> None:
    """atexit handlers (spans are flushed there), then the standard streams."""
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def _finish_process(status: int) -> None:
    """End the process as the interpreter does after `__main__` returns."""
    try:
        threading._shutdown()  # type: ignore[attr-defined]  # join non-daemon threads
    except Exception:
        pass
    _run_exit_handlers()
    os._exit(status)


def run_main_script_if_tracked() -> None:
    """Run the entry script rewritten and end the process, or return to let Python run it as usual."""
    if os.environ.get("AO_TAINT", "on").lower() in ("off", "0", "false", "no"):
        return
    path = entry_script(list(getattr(sys, "orig_argv", [])))
    if path is None:
        return
    try:
        from ao_instrument.dataflow import is_user_code, run_script
    except ImportError:
        return
    try:
        if not is_user_code(os.path.abspath(path)):
            return
    except Exception:
        report_internal_error("choosing the entry script")
        return
    status = 0
    try:
        run_script(path, list(sys.argv))
    except SystemExit as exit_:
        status = _exit_status(exit_.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        _finish_process_by_signal(signal.SIGINT)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        status = 1
    _finish_process(status)


def _finish_process_by_signal(signum: int) -> None:
    """Exit as a process killed by `signum`, as CPython does after an uncaught KeyboardInterrupt."""
    _run_exit_handlers()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
