"""The run's seed in every process, so that a replay makes the same calls as the recorded run.

The launcher draws a seed for each run (`ao.run.seed` on its root span; a replay reuses the recorded
run's) and passes it as `AO_RUN_SEED`. Each Python process of the command then seeds, before the
program starts:
- `random` (the module-level generator);
- `uuid.uuid4`, replaced by a function drawing from a generator of its own;
- `numpy.random`'s global generator, when the program imports numpy (ao never imports it itself).

A fresh seed per run keeps the program's values as random across runs as they were without ao. Within
one run, processes with the same command line get distinct seeds: each takes the next free number in
the run's directory (`AO_RUN_DIR`), so two workers never draw the same uuids. A forked child reseeds
from its parent's seed and the parent's fork count, where `random` alone would reseed from the OS.
Trace and span ids must not repeat with the seed (a replay's spans would take the recorded run's ids):
the launcher has the SDK draw them from `unseeded_ids.UnseededIdGenerator`, whose generator is its own.
Not seeded: `os.urandom`, `secrets`, `uuid.uuid1`, and generators the program creates with a seed of
its own (which are deterministic already).
"""

from __future__ import annotations

import hashlib
import os
import random
import secrets
import sys
import uuid
from collections.abc import Callable, Mapping
from types import ModuleType

SEED_ENV = "AO_RUN_SEED"
RUN_DIR_ENV = "AO_RUN_DIR"
_MAX_PROCESSES = 10_000


def new_seed() -> int:
    """A fresh run seed (63 bits, so that it fits a signed 64-bit attribute)."""
    return secrets.randbits(63)


def derive(*parts: object) -> int:
    """A 64-bit seed from the parts' text."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def seed_process(env: Mapping[str, str] = os.environ) -> int | None:
    """Seed this process from the run's seed; the process seed, or None when the run has none."""
    text = env.get(SEED_ENV, "")
    if not text.isdigit():
        return None
    command = "\0".join(sys.orig_argv)
    seed = derive(text, command, _process_number(env.get(RUN_DIR_ENV), derive(command)))
    _Seeded(seed).install()
    return seed


def _process_number(run_dir: str | None, command_hash: int) -> int:
    """The first number not yet taken by a process with this command line in this run (0 without a run dir)."""
    if not run_dir or not os.path.isdir(run_dir):
        return 0
    for number in range(_MAX_PROCESSES):
        try:
            os.close(os.open(os.path.join(run_dir, f"seed-{command_hash:016x}-{number}"), os.O_CREAT | os.O_EXCL))
            return number
        except FileExistsError:
            continue
        except OSError:
            return 0
    return _MAX_PROCESSES


class _Seeded:
    """The generators of one process, reseeded in forked children."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.forks = 0
        self.uuid_random = random.Random()

    def install(self) -> None:
        self._apply(self.seed)
        uuid.uuid4 = self._uuid4
        _when_imported("numpy", self._seed_numpy)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(before=self._count_fork, after_in_child=self._reseed_child)

    def _apply(self, seed: int) -> None:
        self.seed = seed
        random.seed(seed)
        self.uuid_random.seed(derive(seed, "uuid4"))
        numpy = sys.modules.get("numpy")
        if numpy is not None:
            self._seed_numpy(numpy)

    def _uuid4(self) -> uuid.UUID:
        return uuid.UUID(int=self.uuid_random.getrandbits(128), version=4)

    def _seed_numpy(self, numpy: ModuleType) -> None:
        try:
            numpy.random.seed(derive(self.seed, "numpy") % 2**32)
        except Exception:  # a numpy without the legacy global generator: left as it is
            pass

    def _count_fork(self) -> None:
        self.forks += 1

    def _reseed_child(self) -> None:
        self.forks, number = 0, self.forks
        self._apply(derive(self.seed, "fork", number))


def _when_imported(name: str, hook: Callable[[ModuleType], None]) -> None:
    """Call `hook(module)` once `name` is imported (now, if it already is)."""
    import wrapt

    wrapt.register_post_import_hook(hook, name)
