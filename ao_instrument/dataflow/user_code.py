"""Which source files are the user's own code: rewritten at import, unlike libraries and the stdlib.

`AO_TAINT_PATHS` (os.pathsep-separated files or directories) says it; by default it is the program's
project directory (the entry script's directory, else the working directory, as for an installed
command such as `uvicorn`). Under those roots, site-packages, the standard library, virtual
environments and ao itself are left out, unless a root was given inside one of them on purpose. `AO_TAINT=off` turns origin tracking off entirely.
"""

from __future__ import annotations

import os
import site
import sys
import sysconfig

_OFF = ("off", "0", "false", "no", "disabled")
_PACKAGE_DIRS = ("site-packages", "dist-packages")
_AO_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # ao_instrument/


def disabled() -> bool:
    return os.environ.get("AO_TAINT", "on").strip().lower() in _OFF


def project_directory() -> str:
    """The entry script's directory, else the working directory: also when the script is an installed
    command (`bin/uvicorn app:app`, `bin/celery`, a `pip install --user` command in `~/.local/bin`,
    `python -m uvicorn`), whose directory holds no user code."""
    script = sys.argv[0] if sys.argv and sys.argv[0] not in ("", "-c", "-m") else ""
    if script and os.path.isfile(script) and not installed(script):
        return os.path.dirname(os.path.realpath(script))
    return os.getcwd()


def installed(path: str) -> bool:
    """Whether `path` is an installed command (`bin/uvicorn` of the interpreter or virtual environment,
    `~/.local/bin/uvicorn` of `pip install --user`) or a file of the standard library or site-packages:
    never the user's own script. Only those directories, not the whole prefix: an app may live under it
    (`/usr/src/app` with Python in `/usr`)."""
    directory = os.path.dirname(os.path.realpath(path))
    return any(_under(directory, root) for root in _install_dirs())


def _install_dirs() -> set[str]:
    paths = sysconfig.get_paths()
    found = {paths.get(key) for key in ("scripts", "stdlib", "platstdlib", "purelib", "platlib")}
    try:  # `pip install --user` commands (`~/.local/bin`)
        found.add(sysconfig.get_path("scripts", f"{os.name}_user", vars={"userbase": site.getuserbase()}))
    except (KeyError, AttributeError):  # no user scheme; virtualenv's old site module
        pass
    return {os.path.realpath(p) for p in found if p}


def _excluded_dirs() -> list[str]:
    paths = sysconfig.get_paths()
    found = {paths.get(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    found.update({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix})
    try:
        found.update(site.getsitepackages())
        found.add(site.getusersitepackages())
        found.add(site.getuserbase())  # `pip install --user` puts everything under it (`~/.local`)
    except AttributeError:  # virtualenv's old site module
        pass
    return sorted({os.path.realpath(p) for p in found if p})


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class UserCode:
    """Decides, per directory (cached), whether source files there are user code."""

    def __init__(self, roots: list[str]) -> None:
        self.roots = sorted({os.path.realpath(r) for r in roots if r}, key=len, reverse=True)
        self._excluded = _excluded_dirs()
        self._dirs: dict[str, bool] = {}

    def contains(self, filename: str) -> bool:
        """Whether the source file `filename` is user code."""
        if self.roots and os.path.realpath(filename) in self.roots:
            return True
        directory = os.path.dirname(os.path.abspath(filename))
        known = self._dirs.get(directory)
        if known is None:
            known = self._dirs[directory] = self._decide(os.path.realpath(directory))
        return known

    def may_hold(self, directory: str) -> bool:
        """Whether user code may lie in or under `directory` (a package's search path)."""
        real = os.path.realpath(directory)
        return any(_under(real, root) or _under(root, real) for root in self.roots)

    def _decide(self, directory: str) -> bool:
        root = next((r for r in self.roots if _under(directory, r)), None)
        if root is None or _under(directory, _AO_DIR):
            return False
        if any(len(ex) > len(root) and _under(directory, ex) for ex in self._excluded):
            return False
        below = directory[len(root) :].split(os.sep)
        if any(part in _PACKAGE_DIRS for part in below):
            return False
        here = directory
        while len(here) > len(root):
            if os.path.exists(os.path.join(here, "pyvenv.cfg")):
                return False
            here = os.path.dirname(here)
        return True


def from_environment(project_dir: str | None = None) -> UserCode:
    """User code as `AO_TAINT_PATHS` says, else the project directory."""
    configured = os.environ.get("AO_TAINT_PATHS", "").strip()
    if configured:
        return UserCode([p for p in configured.split(os.pathsep) if p.strip()])
    return UserCode([project_dir or project_directory()])
