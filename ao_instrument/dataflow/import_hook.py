"""The import hook: user modules are rewritten (see `rewrite.py`) as they are imported (PEP 451).

A meta path finder hands user-code source files to `RewritingLoader`, which compiles the rewritten
module and caches its bytecode next to the usual one, under a tag of its own
(`__pycache__/mod.cpython-311-ao.pyc`) that plain `python` never reads. A cache entry is used only
when the source's mtime and size and the rewriter's own fingerprint all match. If rewriting fails,
the module is compiled as written. `run_script` runs the entry script the same way. The rewriter
itself is loaded with the first module to rewrite.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import marshal
import os
import sys
from collections.abc import Sequence
from types import CodeType, ModuleType
from typing import Any

from ao_instrument.dataflow.user_code import UserCode
from ao_instrument.genai.fail_open import report_internal_error


@functools.cache
def fingerprint() -> bytes:
    """8 bytes that change whenever the code the rewriter emits may change: the rewriter, this module, the
    registry, the names it handles (which the family modules list) and the form of f-strings."""
    from ao_instrument.dataflow import rewrite
    from ao_instrument.dataflow.handlers import registry

    digest = hashlib.sha256(importlib.util.MAGIC_NUMBER)
    for path in (rewrite.__file__, registry.__file__, __file__):
        with open(path, "rb") as f:
            digest.update(f.read())
    handled = (registry.FUNCTIONS, registry.METHODS, registry.FIXED_ARITY, registry.UNBOUND)
    digest.update(repr([sorted(names) for names in handled]).encode())
    digest.update(b"compiled" if registry.COMPILED else b"pure")  # the code differs (rewrite.py)
    return digest.digest()[:8]


CACHE_TAG = f"{sys.implementation.cache_tag}-ao"
_HEADER = len(importlib.util.MAGIC_NUMBER) + 8 + 16


def cache_path(source_path: str) -> str:
    """Where the rewritten bytecode of `source_path` is cached."""
    directory, filename = os.path.split(source_path)
    stem = filename.rpartition(".")[0] or filename
    opt = f".opt-{sys.flags.optimize}" if sys.flags.optimize else ""
    return os.path.join(directory, "__pycache__", f"{stem}.{CACHE_TAG}{opt}.pyc")


def _header(st: os.stat_result) -> bytes:
    return importlib.util.MAGIC_NUMBER + fingerprint() + st.st_mtime_ns.to_bytes(8, "little") + (
        st.st_size & 0xFFFFFFFFFFFFFFFF
    ).to_bytes(8, "little")


def _read_cache(path: str, st: os.stat_result) -> CodeType | None:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if data[:_HEADER] != _header(st):
        return None
    try:
        code = marshal.loads(data[_HEADER:])
    except (EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, CodeType) else None


def _write_cache(path: str, st: os.stat_result, code: CodeType) -> None:
    if sys.dont_write_bytecode:
        return
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(_header(st) + marshal.dumps(code))
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def compile_user_source(source: bytes | str, path: str) -> CodeType:
    """The rewritten code of a user module; the code as written when rewriting fails."""
    from ao_instrument.dataflow import rewrite

    try:
        tree = rewrite.rewrite_source(source, path)
    except SyntaxError:
        tree = None  # the user's own syntax error: let compile() report it as usual
    except Exception:
        report_internal_error(f"rewriting {path}")
        tree = None
    if tree is not None:
        try:
            return compile(tree, path, "exec", dont_inherit=True)
        except Exception:
            report_internal_error(f"compiling rewritten {path}")
    return compile(source, path, "exec", dont_inherit=True)


def load_code(path: str) -> CodeType:
    """Rewritten code of the source file `path`, from the cache when it is fresh."""
    st = os.stat(path)
    cached = cache_path(path)
    code = _read_cache(cached, st)
    if code is None:
        with open(path, "rb") as f:
            source = f.read()
        code = compile_user_source(source, path)
        _write_cache(cached, st, code)
    return code


class RewritingLoader(importlib.machinery.SourceFileLoader):
    """A source file loader whose code is the rewritten module."""

    def get_code(self, fullname: str) -> CodeType:
        return load_code(self.get_filename(fullname))


class RewritingFinder(importlib.abc.MetaPathFinder):
    """Finds user modules on the path and gives them a `RewritingLoader`; others are left to Python."""

    def __init__(self, user_code: UserCode) -> None:
        self.user_code = user_code

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if path is not None and not any(isinstance(p, str) and self.user_code.may_hold(p) for p in path):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.origin is None or type(spec.loader) is not importlib.machinery.SourceFileLoader:
            return None
        if not self.user_code.contains(spec.origin):
            return None
        spec.loader = RewritingLoader(fullname, spec.origin)
        spec.cached = cache_path(spec.origin)
        return spec

    def invalidate_caches(self) -> None:
        self.user_code._dirs.clear()


_installed: RewritingFinder | None = None


def install(user_code: UserCode) -> RewritingFinder:
    """Put the rewriting finder first on `sys.meta_path` (once)."""
    global _installed
    if _installed is not None:
        uninstall()
    _installed = RewritingFinder(user_code)
    sys.meta_path.insert(0, _installed)
    return _installed


def uninstall() -> None:
    global _installed
    if _installed is not None:
        try:
            sys.meta_path.remove(_installed)
        except ValueError:
            pass
        _installed = None


def installed() -> RewritingFinder | None:
    return _installed


def run_script(path: str, argv: list[str] | None = None, code: CodeType | None = None) -> dict[str, Any]:
    """Run the script at `path` rewritten as `__main__` (what `python path args` does); its globals.

    Like `runpy.run_path(path, run_name="__main__")`, but in the interpreter's own `__main__` module,
    so that objects defined by the script pickle and print as they do without ao. `code`: the script's
    code already loaded (`load_code(path)`).
    """
    main = sys.modules.get("__main__")
    if main is None:
        main = sys.modules["__main__"] = ModuleType("__main__")
    if code is None:
        code = load_code(path)
    sys.argv[:] = list(argv) if argv else [path]
    if not getattr(sys.flags, "safe_path", sys.flags.isolated):  # Python 3.10: -I, no -P
        directory = os.path.dirname(os.path.realpath(path))
        if not sys.path or sys.path[0] != directory:
            sys.path.insert(0, directory)
    namespace = main.__dict__
    namespace.update(
        __name__="__main__",
        __file__=path,
        __cached__=None,
        __loader__=importlib.machinery.SourceFileLoader("__main__", path),
        __spec__=None,
        __package__=None,
    )
    namespace.setdefault("__builtins__", __builtins__)
    exec(code, namespace)
    return namespace


def rewritten_source(source: str, path: str = "<source>") -> str:
    """The rewritten module as source text (for reading and debugging)."""
    from ao_instrument.dataflow import rewrite

    tree = rewrite.rewrite_source(source, path)
    return ast.unparse(tree) if tree is not None else source
