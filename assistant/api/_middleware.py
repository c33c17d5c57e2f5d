"""ASGI middleware of the API: request id and request log, bearer-token auth, request size limit.

Plain ASGI (not ``BaseHTTPMiddleware``) so that streamed responses pass through untouched. The
size limit reads the body before any parsing and refuses it with 413 past the limit; the auth
check runs before the body is read at all. A JSON body must be strict JSON of valid Unicode:
``NaN``/``Infinity``, numbers no float holds (``1e400``), lone surrogate escapes (``"\\ud800"``)
and bytes that are not UTF-8 are refused with 422 here, before they can reach a response or a
model (Python's ``json`` accepts all of them).
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import re
import time
import uuid
from collections.abc import Collection

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api._errors import error_response
from assistant.api._logging import LOGGER

__all__ = ["BearerAuth", "BodyLimit", "RequestLog"]

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_SURROGATE = re.compile("[\ud800-\udfff]")


class _NotStrict(ValueError):
    pass


def _constant(name: str) -> float:
    raise _NotStrict(f"{name} is not JSON")


def _finite(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise _NotStrict(f"the number {token[:40]} is out of range; write it as a string")
    return value


def _json_problem(body: bytes) -> str | None:
    """Why a request body is not strict JSON of valid Unicode, or None (unparseable bodies are left to FastAPI)."""
    if not body.strip():
        return None
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_constant, parse_float=_finite)
    except UnicodeDecodeError as exc:
        return f"the request body is not UTF-8 (byte {exc.start})"
    except _NotStrict as exc:
        return f"the request body is not strict JSON: {exc}"
    except RecursionError:
        return "the request body is nested too deeply"
    except ValueError:
        return None  # not JSON at all (or an integer beyond Python's limit): FastAPI's own message says where
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return "the request body has a lone UTF-16 surrogate escape (such as \\ud800); send valid Unicode"
        elif isinstance(item, dict):
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            stack += item
    return None


def _request_id(scope: Scope) -> str | None:
    return scope.get("state", {}).get("request_id")


class RequestLog:
    """Give every request an id (``X-Request-ID``, echoed back) and log it when its response ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = logging.getLogger(LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request, then log method, path, status, duration and request id."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("x-request-id", request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # the one place an unexpected failure is logged; the client gets a 500 with the request id
            self.log.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
            if status:
                raise  # the response had started: the server closes the connection
            status = 500
            response = error_response(500, f"internal error ({type(exc).__name__})",
                                      hint="the server log has the details under this request_id",
                                      request_id=request_id)
            await response(scope, receive, send_with_id)
        finally:
            self.log.info("request", extra={
                "method": scope["method"], "path": scope["path"], "status": status or 500,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2), "request_id": request_id})


class BearerAuth:
    """Require ``Authorization: Bearer <token>`` on every path except the open ones."""

    def __init__(self, app: ASGIApp, token: str, open_paths: Collection[str] = ("/healthz",)) -> None:
        self.app = app
        self._token = token.encode()
        self._open = frozenset(open_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 401 without reading its body."""
        if scope["type"] != "http" or scope["path"] in self._open:
            await self.app(scope, receive, send)
            return
        scheme, _, given = Headers(scope=scope).get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self._token):
            await self.app(scope, receive, send)
            return
        message = "invalid bearer token" if given else "missing bearer token"
        response = error_response(401, message, hint="send 'Authorization: Bearer <token>' with the value of "
                                  "KB_ASSISTANT_API_TOKEN", request_id=_request_id(scope),
                                  headers={"WWW-Authenticate": "Bearer"})
        await response(scope, receive, send)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, from Content-Length or while reading."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, size: str) -> None:
        response = error_response(413, f"the request body is {size}; the limit is {self.limit} bytes",
                                  hint="send the policy or question alone, without unrelated text",
                                  request_id=_request_id(scope), headers={"Connection": "close"})
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Buffer the body up to the limit, then hand it to the app as if it had just arrived."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send, f"{int(declared)} bytes")
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, receive, send, f"over {self.limit} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = _json_problem(body) if "json" in Headers(scope=scope).get("content-type", "json") else None
        if problem is not None:
            response = error_response(422, problem, hint="send strict JSON (RFC 8259) encoded as UTF-8",
                                      request_id=_request_id(scope))
            await response(scope, receive, send)
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # later calls wait for the disconnect, as streaming responses expect

        await self.app(scope, replay, send)
