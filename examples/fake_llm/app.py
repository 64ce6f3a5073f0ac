"""The Starlette application: fake provider routes plus the `/_fake/*` control routes."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request as HTTPRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import anthropic_api, openai_api
from .endpoint import Endpoint
from .replies import Script, outcome_from_spec, rule_from_spec
from .request import RequestLog

Handler = Callable[[HTTPRequest], Awaitable[Response]]


def build_app(script: Script, log: RequestLog, embedding_dims: int) -> Starlette:
    endpoints = [
        openai_api.CHAT,
        openai_api.RESPONSES,
        openai_api.embeddings_endpoint(embedding_dims),
        anthropic_api.MESSAGES,
        anthropic_api.COUNT_TOKENS,
    ]
    routes = [Route(e.path, _api_handler(e, script, log), methods=["POST"]) for e in endpoints]
    routes += _control_routes(script, log)
    routes.append(Route("/{path:path}", _not_found, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]))
    return Starlette(routes=routes)


def _api_handler(endpoint: Endpoint, script: Script, log: RequestLog) -> Handler:
    async def handle(http: HTTPRequest) -> Response:
        raw = await http.body()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        request = log.record(endpoint.path, body, dict(http.headers))
        if not isinstance(body, dict):
            return endpoint.bad_request(request, "The request body must be a JSON object.")
        outcome = script.outcome_for(request, use_queue=endpoint.uses_queue)
        if outcome.delay > 0:
            await asyncio.sleep(outcome.delay)
        return endpoint.respond(request, outcome)

    return handle


async def _not_found(http: HTTPRequest) -> Response:
    message = f"Unknown path {http.method} {http.url.path} (fake LLM server)."
    return JSONResponse(openai_api.error_body(404, message), status_code=404)


def _control_routes(script: Script, log: RequestLog) -> list[Route]:
    async def add_replies(http: HTTPRequest) -> Response:
        try:
            outcomes = [outcome_from_spec(spec) for spec in await _spec_list(http, "replies")]
        except (KeyError, TypeError, ValueError) as error:
            return JSONResponse({"error": f"bad reply spec: {error}"}, status_code=400)
        for outcome in outcomes:
            script.enqueue(outcome)
        return JSONResponse({"pending": script.pending})

    async def add_rules(http: HTTPRequest) -> Response:
        try:
            rules = [rule_from_spec(spec) for spec in await _spec_list(http, "rules")]
        except (KeyError, TypeError, ValueError) as error:
            return JSONResponse({"error": f"bad rule spec: {error}"}, status_code=400)
        for rule in rules:
            script.add_rule(rule)
        return JSONResponse({"added": len(rules)})

    async def requests(http: HTTPRequest) -> Response:
        return JSONResponse([request.to_json() for request in log.snapshot()])

    async def reset(http: HTTPRequest) -> Response:
        script.reset()
        log.clear()
        return JSONResponse({"reset": True})

    async def health(http: HTTPRequest) -> Response:
        return JSONResponse({"ok": True})

    return [
        Route("/_fake/replies", add_replies, methods=["POST"]),
        Route("/_fake/rules", add_rules, methods=["POST"]),
        Route("/_fake/requests", requests, methods=["GET"]),
        Route("/_fake/reset", reset, methods=["POST"]),
        Route("/_fake/health", health, methods=["GET"]),
    ]


async def _spec_list(http: HTTPRequest, key: str) -> list[Any]:
    """A JSON body holding one spec, a list of specs, or {key: [specs]}."""
    data = await http.json()
    if isinstance(data, dict) and key in data:
        data = data[key]
    return data if isinstance(data, list) else [data]
