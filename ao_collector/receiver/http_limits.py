"""Bounded reads for the HTTP servers (uvicorn over h11), so slow or unauthenticated clients cannot starve others.

uvicorn has a keep-alive timeout but no limit on how long a client may take to send a request; these add:

- `guarded_protocol(limits)`: uvicorn's h11 protocol with a *header timeout* (a request head must be complete
  `header_timeout` seconds after its first byte, or after the connection opened) and a *connection bound*
  (`max_connections`; at the bound a new connection evicts the oldest one that is idle or still sending a
  head, so connections that never finish a request cannot lock others out; a peer other than loopback may
  hold at most `max_connections_per_client`). It replaces uvicorn's `limit_concurrency`, which counts such
  connections and answers everyone else 503.
- `read_body(...)`: the body of a request read with a *minimum transfer rate* (after `body_grace` seconds,
  at least `min_rate` bytes/s on average), a *body timeout*, and the received bytes counted against a
  shared `ByteBudget`; a body that is too slow is `SlowBody` (HTTP 408, connection closed), one that does
  not fit the budget `BudgetExhausted` (HTTP 429 with Retry-After).

Authentication is checked on the head, before any body is read, so a client without the token never holds
body bytes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


@dataclass(frozen=True)
class ReadLimits:
    """How long and how slowly a client may send a request, and how many connections it may hold."""

    header_timeout: float = 10.0
    body_timeout: float = 120.0
    body_grace: float = 2.0
    min_rate: int = 16 << 10
    max_connections: int = 1024
    max_connections_per_client: int = 128


class SlowBody(Exception):
    """The body came slower than the minimum rate, or not within the body timeout."""


class BudgetExhausted(Exception):
    """The bodies being read hold all of the budget."""


class ByteBudget:
    """Bytes of request bodies held at once, shared by every request of a receiver (one event loop)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.used = 0

    def take(self, size: int) -> None:
        if self.used + size > self.total:
            raise BudgetExhausted(f"request bodies being received hold {self.used} of {self.total} bytes")
        self.used += size

    def give_back(self, size: int) -> None:
        self.used -= size


async def read_body(stream: AsyncIterator[bytes], limits: ReadLimits, budget: ByteBudget, held: list[int]) -> AsyncIterator[bytes]:
    """The chunks of `stream` within `limits`, each taken from `budget` (their sizes appended to `held`:
    the caller gives them back once the request is done)."""
    started = time.monotonic()
    received = 0
    iterator = stream.__aiter__()
    while True:
        elapsed = time.monotonic() - started
        remaining = limits.body_timeout - elapsed
        # Wait for the next chunk no longer than the rate allows: by then the average must be min_rate.
        by_rate = max(limits.body_grace, (received + 1) / limits.min_rate) - elapsed
        wait = min(remaining, by_rate)
        if wait <= 0:
            raise SlowBody(_slow(received, elapsed, limits))
        try:
            chunk = await asyncio.wait_for(iterator.__anext__(), wait)
        except StopAsyncIteration:
            return
        except asyncio.TimeoutError:
            raise SlowBody(_slow(received, time.monotonic() - started, limits)) from None
        budget.take(len(chunk))
        held.append(len(chunk))
        received += len(chunk)
        yield chunk


def _slow(received: int, elapsed: float, limits: ReadLimits) -> str:
    return (f"request body too slow: {received} bytes in {elapsed:.1f}s (at least {limits.min_rate} bytes/s after "
            f"{limits.body_grace:g}s, all within {limits.body_timeout:g}s)")


class _Connections:
    """The connections of one server, in the order they became idle or opened."""

    def __init__(self) -> None:
        self.waiting: dict[Any, float] = {}  # connections with no request head in progress or complete
        self.per_client: dict[str, int] = {}


def guarded_protocol(limits: ReadLimits) -> type[H11Protocol]:
    """uvicorn's h11 protocol with the header timeout and the connection bounds of `limits` (one server each)."""
    connections = _Connections()

    class GuardedH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None
        _head_cycle: Any = None
        _client_key: str | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            host = self.client[0] if self.client else None
            if host is not None and not _is_loopback(host):
                count = connections.per_client.get(host, 0)
                if count >= limits.max_connections_per_client:
                    transport.close()
                    return
                connections.per_client[host] = count + 1
                self._client_key = host
            if len(self.connections) > limits.max_connections and not self._evict_one():
                transport.close()
                return
            self._wait_for_head(start_timer=True)

        def _evict_one(self) -> bool:
            """Close the oldest connection that has no request in progress; False when there is none."""
            for other in connections.waiting:
                if other is not self:
                    other._close_idle()
                    return True
            return False

        def _close_idle(self) -> None:
            connections.waiting.pop(self, None)
            if not self.transport.is_closing():
                self.transport.close()

        def _wait_for_head(self, start_timer: bool) -> None:
            connections.waiting[self] = time.monotonic()
            self._head_cycle = self.cycle
            if start_timer:
                self._start_head_timer()

        def _start_head_timer(self) -> None:
            self._cancel_head_timer()
            self._head_timer = self.loop.call_later(limits.header_timeout, self._head_timed_out)

        def _cancel_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self in connections.waiting:
                self._close_idle()

        def data_received(self, data: bytes) -> None:
            waiting = self in connections.waiting
            if waiting and self._head_timer is None:
                self._start_head_timer()  # the first byte of a request on a kept-alive connection
            super().data_received(data)
            if waiting and self.cycle is not self._head_cycle:
                connections.waiting.pop(self, None)  # a complete head: the request is served
                self._cancel_head_timer()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
                self._wait_for_head(start_timer=False)  # idle: uvicorn's keep-alive timeout applies

        def connection_lost(self, exc: Exception | None) -> None:
            connections.waiting.pop(self, None)
            self._cancel_head_timer()
            if self._client_key is not None:
                left = connections.per_client.get(self._client_key, 1) - 1
                if left > 0:
                    connections.per_client[self._client_key] = left
                else:
                    connections.per_client.pop(self._client_key, None)
                self._client_key = None
            super().connection_lost(exc)

    return GuardedH11Protocol


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
