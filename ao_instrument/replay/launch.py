"""The launcher's side of `ao-instrument --replay RUN_ID`.

Before the command starts, the recorded run's calls and active edits are fetched from the collector in
one request (`GET /api/v1/runs/RUN_ID/cache`, bearer `AO_API_TOKEN`), from `AO_API_URL` or the
local collector. When the collector cannot be reached or does not know the run, the launcher stops
with a clear error: a replay never turns into a live run by surprise. The document is written to a
private file that every process of the command reads (`AO_REPLAY_FILE`); each call's outcome is
appended to another (`AO_REPLAY_OUTCOMES`), and at exit the launcher prints one line:

    ao: replay of RUN_ID: 47 calls cached, 1 edited, 2 live, 0 new
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ao_instrument.replay.plan import OUTCOMES_ENV, REPLAY_FILE_ENV

API_URL_ENV = "AO_API_URL"
TOKEN_ENV = "AO_API_TOKEN"
OUTCOMES = ("cached", "edited", "live", "new")
FETCH_TIMEOUT_S = 30.0


class ReplayError(Exception):
    """Why a replay cannot start (the message is for the user)."""


@dataclass
class RecordedRun:
    """The recorded run a replay repeats, as the collector's cache document describes it."""

    run_id: str
    command: list[str]
    working_directory: str
    seed: int | None
    document: dict[str, Any] = field(repr=False)

    @property
    def calls(self) -> int:
        return len(self.document.get("calls", ()))

    @property
    def edits(self) -> int:
        return len(self.document.get("edits", ()))


def fetch_recorded_run(run_id: str, api_url: str, token: str | None) -> RecordedRun:
    """The cache document of `run_id` (a unique prefix works), or ReplayError saying why not."""
    url = f"{api_url.rstrip('/')}/api/v1/runs/{urllib.parse.quote(run_id, safe='')}/cache"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:
            document = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise ReplayError(f"the collector at {api_url} refused run {run_id}: {error.code} {_detail(error)}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ReplayError(f"cannot reach the collector at {api_url} ({reason}); nothing was run") from None
    except ValueError as error:
        raise ReplayError(f"the collector at {api_url} answered something that is not JSON: {error}") from None
    return _recorded_run(document, run_id)


def _detail(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read())
    except Exception:
        return error.reason or ""
    return str(body.get("detail", body)) if isinstance(body, dict) else str(body)


def _recorded_run(document: Any, asked: str) -> RecordedRun:
    run = document.get("run") if isinstance(document, dict) else None
    if not isinstance(run, dict) or not isinstance(run.get("run_id"), str):
        raise ReplayError(f"the collector's cache document for run {asked} has no run")
    command = run.get("command_args") or []
    seed = run.get("seed")
    return RecordedRun(
        run_id=run["run_id"],
        command=[str(arg) for arg in command] if isinstance(command, list) else [],
        working_directory=str(run.get("working_directory") or ""),
        seed=int(seed) if isinstance(seed, int) or (isinstance(seed, str) and seed.isdigit()) else None,
        document=document,
    )


class ReplayFiles:
    """The private files of one replay: the document the processes read and the outcomes they append."""

    def __init__(self, directory: Path, recorded: RecordedRun) -> None:
        self.recorded = recorded
        self.plan = directory / "replay.json"
        self.outcomes = directory / "replay-outcomes.jsonl"
        descriptor = os.open(self.plan, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump(recorded.document, out)
        os.close(os.open(self.outcomes, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))

    def environment(self) -> dict[str, str]:
        return {REPLAY_FILE_ENV: str(self.plan), OUTCOMES_ENV: str(self.outcomes)}

    def counts(self) -> Counter[str]:
        """Outcomes by kind (lines that cannot be read are left out)."""
        counts: Counter[str] = Counter()
        try:
            lines = self.outcomes.read_text().splitlines()
        except OSError:
            return counts
        for line in lines:
            try:
                outcome = json.loads(line).get("outcome")
            except (ValueError, AttributeError):
                continue
            if outcome in OUTCOMES:
                counts[outcome] += 1
        return counts

    def summary(self) -> str:
        counts = self.counts()
        return (
            f"ao: replay of {self.recorded.run_id}: {counts['cached']} calls cached, {counts['edited']} edited, "
            f"{counts['live']} live, {counts['new']} new"
        )
