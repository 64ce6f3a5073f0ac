"""Where the query commands read from: a running collector's API, else the store itself."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Protocol

DEFAULT_API_URL = "http://127.0.0.1:4320"


class SourceError(Exception):
    """Nothing to read from (no collector answers and the store cannot be opened), or a refused request."""


class Source(Protocol):
    def runs(self, limit: int) -> list[dict[str, Any]]: ...
    def run(self, run_id: str) -> dict[str, Any] | None: ...
    def graph(self, run_id: str) -> dict[str, Any] | None: ...
    def call(self, span_id: str) -> dict[str, Any] | None: ...
    def close(self) -> None: ...


class ApiSource:
    """Reads through the C7 API of a running collector."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.send("GET", path + (f"?{urllib.parse.urlencode(params)}" if params else ""))

    def send(self, method: str, path: str, body: Any = None) -> Any:
        """The JSON answer of `method path` (None on 404); SourceError with the API's message otherwise."""
        url = self.base_url + path
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method, headers={"Accept": "application/json"})
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            detail = exc.read().decode(errors="replace")
            try:
                detail = json.loads(detail).get("detail", detail)
            except (ValueError, AttributeError):
                pass
            raise SourceError(f"{url}: HTTP {exc.code}: {detail}") from None

    def alive(self) -> bool:
        try:
            health = self._get("/healthz")
        except (OSError, SourceError, ValueError):
            return False
        return isinstance(health, dict) and health.get("service") == "ao-collector"

    def runs(self, limit: int) -> list[dict[str, Any]]:
        return self._get("/api/v1/runs", {"limit": limit}) or []

    def run(self, run_id: str) -> dict[str, Any] | None:
        return self._get(f"/api/v1/runs/{urllib.parse.quote(run_id, safe='')}")

    def graph(self, run_id: str) -> dict[str, Any] | None:
        return self._get(f"/api/v1/runs/{urllib.parse.quote(run_id, safe='')}/graph")

    def call(self, span_id: str) -> dict[str, Any] | None:
        return self._get(f"/api/v1/calls/{urllib.parse.quote(span_id, safe='')}")

    def close(self) -> None:
        pass


class StoreSource:
    """Reads the store directly (only when no collector holds it)."""

    def __init__(self, data_dir: Path | None, clickhouse_url: str | None, database: str) -> None:
        from ao_collector import queries
        from ao_collector.queries import ids
        from ao_collector.store import open_store

        self._queries = queries
        self._ids = ids
        try:
            self.store = open_store(data_dir=data_dir, clickhouse_url=clickhouse_url, database=database)
            if clickhouse_url is None:
                self.store.migrate()  # a data dir no collector has used yet: empty tables, not errors
        except Exception as exc:  # noqa: BLE001 - turned into a message for the terminal
            where = clickhouse_url or data_dir
            raise SourceError(
                f"no collector answers at the API URL and the store at {where} cannot be opened ({exc}); "
                "if a collector runs on another port, set AO_API_URL"
            ) from None

    def runs(self, limit: int) -> list[dict[str, Any]]:
        return self._queries.list_runs(self.store, limit=limit)

    def _resolved(self, resolve: Any, text: str) -> str | None:
        try:
            return resolve(self.store, text)
        except self._ids.AmbiguousId as error:
            raise SourceError(str(error)) from None

    def run(self, run_id: str) -> dict[str, Any] | None:
        found = self._resolved(self._ids.resolve_run, run_id)
        return None if found is None else self._queries.get_run(self.store, found)

    def graph(self, run_id: str) -> dict[str, Any] | None:
        run_id = self._resolved(self._ids.resolve_run, run_id) or run_id
        graph = self._queries.run_graph(self.store, run_id)
        if not graph.get("nodes") and self.run(run_id) is None:
            return None
        return graph

    def call(self, span_id: str) -> dict[str, Any] | None:
        found = self._resolved(self._ids.resolve_span, span_id)
        return None if found is None else self._queries.get_call(self.store, found)

    def close(self) -> None:
        self.store.close()


def open_source(api_url: str | None, data_dir: Path | None, clickhouse_url: str | None, database: str) -> Source:
    """The running collector's API when it answers, else the store (default data dir: `$AO_HOME` or ~/.ao)."""
    api = ApiSource(api_url or os.environ.get("AO_API_URL") or DEFAULT_API_URL, os.environ.get("AO_API_TOKEN"))
    if api.alive():
        return api
    if data_dir is None and clickhouse_url is None:
        from ao_collector.autostart import ao_home

        data_dir = ao_home()
    return StoreSource(data_dir, clickhouse_url, database)
