"""chDB, loaded with allocator settings made for ingest; every module of ao takes chDB from here.

chDB carries ClickHouse's jemalloc (its symbols prefixed `je_`), which reads `JE_MALLOC_CONF` once, when
the library loads. ClickHouse's defaults keep heap profiling active and hand freed pages back to the kernel
within 5 s; the collector decodes a batch of about 100 MB every few seconds, so each batch faulted its
memory in afresh (bench/README.md, issue 11). Unless `JE_MALLOC_CONF` is already set (the user's own
settings win; set empty, it keeps ClickHouse's defaults), `INGEST_MALLOC_CONF` applies while chDB loads and is then taken out of the environment again,
so that processes the collector starts (a replay's command) do not inherit it.
"""

from __future__ import annotations

import os

_VARIABLE = "JE_MALLOC_CONF"
# Profiling off (ClickHouse samples allocations for its memory profiler, which ao does not read); freed
# pages kept 30 s before they go back to the kernel, so that the next batches reuse them.
INGEST_MALLOC_CONF = "prof_active:false,dirty_decay_ms:30000"

_ours = _VARIABLE not in os.environ
if _ours:
    os.environ[_VARIABLE] = INGEST_MALLOC_CONF
try:
    from chdb import session as chdb_session
finally:
    if _ours:
        os.environ.pop(_VARIABLE, None)

__all__ = ["INGEST_MALLOC_CONF", "chdb_session"]
