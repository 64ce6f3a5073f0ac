"""Trace and span ids that the run's seed does not repeat (entry point `ao_unseeded` of `opentelemetry_id_generator`).

Seeding `random` (`seeding`) would make the SDK's `RandomIdGenerator` draw the recorded run's ids again
in a replay; this generator draws from a private generator seeded by the OS.
"""

from __future__ import annotations

import os
import random
import secrets

from opentelemetry.sdk.trace.id_generator import IdGenerator


class UnseededIdGenerator(IdGenerator):
    """Random trace and span ids (as the SDK's `RandomIdGenerator`) from a private generator, seeded by the
    OS, also again in a forked child."""

    def __init__(self) -> None:
        self._random = random.Random(secrets.randbits(128))
        os.register_at_fork(after_in_child=lambda: self._random.seed(secrets.randbits(128)))

    def generate_span_id(self) -> int:
        span_id = self._random.getrandbits(64)
        while span_id == 0:
            span_id = self._random.getrandbits(64)
        return span_id

    def generate_trace_id(self) -> int:
        trace_id = self._random.getrandbits(128)
        while trace_id == 0:
            trace_id = self._random.getrandbits(128)
        return trace_id
