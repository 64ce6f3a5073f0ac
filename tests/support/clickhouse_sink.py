"""A stand-in ClickHouse server (tests and benchmarks): takes every statement over the HTTP interface and discards it.

Answers what clickhouse-connect asks when it connects (`SELECT version(), timezone()`), every other read with
no rows, and every insert (its body read to the end, then dropped) with success, counting the bytes taken.
So a collector pointed at it (`--clickhouse-url http://127.0.0.1:PORT`) spends its own CPU only: the store
costs nothing.

    .venv/bin/python -m tests.support.clickhouse_sink --port 8123
"""

from __future__ import annotations

import argparse
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# An INSERT at the head of a body, as ClickHouse's parser ends it: after the format's name, spaces or tabs,
# then one newline.
_INLINE_INSERT = re.compile(rb"\s*(INSERT\b.*?\bFORMAT\s+\w+)[ \t\f]*(?:\r?\n)?", re.DOTALL | re.IGNORECASE)


class SinkHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "InsertSink"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        """Quiet."""

    def do_GET(self) -> None:  # noqa: N802
        self._answer(b"Ok.\n" if urlsplit(self.path).path == "/ping" else b"")

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self._read_body(length)
        parameters = parse_qs(urlsplit(self.path).query)
        query = (parameters.get("query") or [""])[0]
        if not query:  # the statement heads the body; an INSERT's data starts after the newline ending it
            head = _INLINE_INSERT.match(body)
            query, body = (head.group(1).decode(), body[head.end():]) if head else (body.decode("utf-8", "replace"), b"")
        statement = query.lstrip().upper()
        if statement.startswith("INSERT"):
            self.server.note_insert(query, parameters, body)
        if "VERSION()" in statement and "TIMEZONE()" in statement:
            self._answer(b"25.8.1.1\tUTC\n")
        else:
            self._answer(b"")

    def _read_body(self, length: int) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(length)
        chunks = []
        while True:
            size = int(self.rfile.readline().strip().split(b";")[0], 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/tab-separated-values; charset=UTF-8")
        self.send_header("X-ClickHouse-Summary", json.dumps({"read_rows": "0", "written_rows": "0"}))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class InsertSink(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), SinkHandler)
        self.inserts = 0
        self.insert_bytes = 0
        self.last_insert: tuple[str, dict[str, list[str]], bytes] | None = None  # statement, URL parameters, data
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def note_insert(self, statement: str, parameters: dict[str, list[str]], body: bytes) -> None:
        with self._lock:
            self.inserts += 1
            self.insert_bytes += len(body)
            self.last_insert = (statement, parameters, body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8123)
    sink = InsertSink(parser.parse_args().port)
    print(sink.url, flush=True)
    sink.serve_forever()


if __name__ == "__main__":
    main()
