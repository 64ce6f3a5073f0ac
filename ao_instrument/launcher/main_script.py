"""Run the process's entry script with origin tracking.

Python compiles the entry script itself, outside the import system, so the import hook never sees
it. When origin tracking is on in the process and the script is user code, `arm()` puts a one-shot
hook first on `sys.path_hooks`. The interpreter consults the path hooks with the script's path once
start-up is over (every `sitecustomize` and `usercustomize` has run, `PYTHONPATH` is as the program
will see it) and just before it would compile the script: the hook then runs the script itself,
rewritten, in the interpreter's own `__main__` module, and ends the process the way the interpreter
would: non-daemon threads joined, atexit handlers run (spans flushed), streams flushed, the
program's exit status; an uncaught exception is printed by `sys.excepthook` without ao's frames.

Both start-up paths arm it: the `ao-instrument` bootstrap (`boot.py`) and, under plain
`opentelemetry-instrument`, the `opentelemetry_post_instrument` entry point (after every
instrumentor and the SDK are set up). It is armed at most once per process. Whatever goes wrong
before the script starts (no hook call, an unreadable or syntactically wrong script, an internal
error) leaves the script to Python, which runs it as written.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import CodeType, TracebackType

from ao_instrument.genai.fail_open import report_internal_error

# Interpreter options that take a value in the next argument.
_LONG_OPTIONS_WITH_VALUE = {"--check-hash-based-pycs"}
_OFF = ("off", "0", "false", "no", "disabled")

_armed: _RunEntryScript | None = None


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


def arm() -> bool:
    """Have the entry script run rewritten when the interpreter is about to run it.

    False when that does not apply: origin tracking off (`AO_TAINT=off`, or no import hook installed in
    this process), no script (`-c`, `-m`, stdin, interactive, `-i`/`PYTHONINSPECT`), a zip application,
    or a script that is not user code. Idempotent: a second call (another start-up path) adds nothing.
    """
    global _armed
    if _armed is not None:
        return True
    if os.environ.get("AO_TAINT", "on").strip().lower() in _OFF:
        return False
    if sys.flags.inspect or sys.flags.interactive:
        return False  # Python would go on to an interactive prompt after the script
    try:
        path = entry_script(list(getattr(sys, "orig_argv", [])))
    except OSError:
        return False
    if path is None:
        return False
    try:
        from ao_instrument.dataflow import import_hook, is_user_code
    except ImportError:
        return False
    if import_hook.installed() is None:
        return False  # origin tracking is not set up in this process (AO_TAINT=off, ao_dataflow disabled)
    try:
        target = os.path.abspath(path)
        if _console_script(target) or not is_user_code(target):
            return False
        _armed = _RunEntryScript(target)
        sys.path_hooks.insert(0, _armed)
    except Exception:
        report_internal_error("choosing the entry script")
        return False
    return True


def _console_script(path: str) -> bool:
    """An installed command's launcher (`bin/uvicorn`, `bin/ao-instrument`), unless `AO_TAINT_PATHS` says otherwise."""
    if os.environ.get("AO_TAINT_PATHS", "").strip():
        return False
    from ao_instrument.dataflow.user_code import installed

    return installed(path)


def armed() -> bool:
    """Whether the entry script of this process is to be run rewritten."""
    return _armed is not None


class _RunEntryScript:
    """The one-shot path hook: called with the script's path, it runs the script and ends the process."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._basename = os.path.basename(target)
        self._done = False

    def __call__(self, entry: str) -> object:
        if self._done or not isinstance(entry, str) or not entry.endswith(self._basename):
            raise ImportError
        if os.path.abspath(entry) != self.target:
            raise ImportError
        self._done = True  # from now on a no-op; it stays listed (the interpreter is iterating the list)
        code = _load(entry)
        if code is None:
            raise ImportError  # fail open: Python runs the script as written
        _run(entry, code)
        raise ImportError  # not reached: _run ends the process


def _load(path: str) -> CodeType | None:
    """The script's rewritten code; None to leave the script to Python."""
    try:
        from ao_instrument.dataflow import import_hook

        return import_hook.load_code(path)
    except (SyntaxError, ValueError, OSError):
        return None  # the user's own error (or the file is gone): Python reports it as usual
    except Exception:
        report_internal_error("loading the entry script")
        return None


def _run(path: str, code: CodeType) -> None:
    """Run the script as `__main__` and end the process as the interpreter would."""
    from ao_instrument.dataflow import import_hook

    status = 0
    try:
        import_hook.run_script(path, list(sys.argv), code=code)
    except SystemExit as exit_:
        status = _exit_status(exit_.code)
    except BaseException as error:
        _print_uncaught(error, code)
        if isinstance(error, KeyboardInterrupt):
            _finish_process(130, signal.SIGINT)
        status = 1
    _finish_process(status)


def _script_traceback(tb: TracebackType | None, code: CodeType) -> TracebackType | None:
    """`tb` from the script's own module frame on (ao's frames above it dropped)."""
    here = tb
    while here is not None and here.tb_frame.f_code is not code:
        here = here.tb_next
    return here if here is not None else tb


def _print_uncaught(error: BaseException, code: CodeType) -> None:
    """What the interpreter does with an uncaught exception: `sys.last_*`, then `sys.excepthook`."""
    tb = _script_traceback(error.__traceback__, code)
    error.__traceback__ = tb
    sys.last_type, sys.last_value, sys.last_traceback = type(error), error, tb
    if sys.version_info >= (3, 12):
        sys.last_exc = error
    try:
        sys.excepthook(type(error), error, tb)
    except BaseException:
        import traceback

        sys.stderr.write("Error in sys.excepthook:\n")
        traceback.print_exc()
        sys.stderr.write("\nOriginal exception was:\n")
        traceback.print_exception(type(error), error, tb)


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


def _finish_process(status: int, signum: int | None = None) -> None:
    """End the process as the interpreter does after `__main__` returns (or dies of `signum`)."""
    try:
        threading._shutdown()  # type: ignore[attr-defined]  # join non-daemon threads
    except Exception:
        pass
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None and not getattr(stream, "closed", False):
                stream.flush()
        except Exception:
            status = 120  # what CPython exits with when it cannot flush the standard streams
    if signum is not None:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    os._exit(status)
