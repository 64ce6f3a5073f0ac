"""Bearer-token check shared by the OTLP receivers and the API."""

from __future__ import annotations

import hmac


def bearer_ok(authorization: str | None, token: str | None) -> bool:
    """Whether an `Authorization` header value carries `token` (always true when no token is required)."""
    if token is None:
        return True
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
