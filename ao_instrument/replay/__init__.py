"""Cached replay of a recorded run (contract C7, "Replay semantics" in the design).

`ao-instrument --replay RUN_ID` fetches the run's recorded calls and edits (`launch`), seeds every
process of the command as the recorded run was seeded (`seeding`), and each LLM call is then served
from the recording, from an edit, or sent live (`plan`, used by the providers' shared call handler).
"""
