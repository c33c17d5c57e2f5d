"""HTTP status for every error the API can meet: the one place an exception becomes a response.

The project's own errors (``assistant.errors``), request validation, unknown routes and the API's
own refusals (401, 404, 413, 503 while starting) all leave as ``{"error": {"message", "type",
"code", "hint"}, "request_id"}``, the shape OpenAI clients already read, with a one-line message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.errors import (
    ArticleError,
    AssistantError,
    IndexError_,
    IndexLockedError,
    InputTooLargeError,
    LLMError,
    UsageError,
)

__all__ = ["ApiError", "WireJSONResponse", "error_body", "error_response", "install_error_handlers", "status_of",
           "validation_message", "wire_json"]

# Most specific first: the first class the error is an instance of decides.
_STATUS: tuple[tuple[type[AssistantError], int, str], ...] = (
    (InputTooLargeError, 413, "invalid_request_error"),
    (UsageError, 422, "invalid_request_error"),
    (IndexLockedError, 503, "service_unavailable"),
    (IndexError_, 503, "service_unavailable"),
    (LLMError, 502, "upstream_error"),
    (ArticleError, 500, "server_error"),
    (AssistantError, 500, "server_error"),
)

_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "not_found_error", 405: "invalid_request_error", 413: "invalid_request_error",
          415: "invalid_request_error", 422: "invalid_request_error", 503: "service_unavailable"}


def wire_json(data: Any) -> str:
    """JSON text that can always be sent as UTF-8: a lone surrogate read from a policy's ``\\ud800`` escape
    (which UTF-8 cannot encode) is written as that escape again."""
    text = json.dumps(data, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data)
    return text


class WireJSONResponse(JSONResponse):
    """A JSON response that cannot fail to render (see ``wire_json``)."""

    def render(self, content: Any) -> bytes:
        """The body as UTF-8 bytes."""
        return wire_json(content).encode("utf-8")


class ApiError(Exception):
    """A refusal of the HTTP edge itself (not found, unauthorized, still starting), with its status."""

    def __init__(self, status: int, message: str, hint: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.hint = hint
        self.headers = dict(headers or {})


def status_of(error: AssistantError) -> tuple[int, str]:
    """The HTTP status and error type of one of the project's errors."""
    return next((status, kind) for cls, status, kind in _STATUS if isinstance(error, cls))


def error_body(status: int, message: str, *, hint: str | None = None, kind: str | None = None,
               request_id: str | None = None) -> dict[str, Any]:
    """The JSON body of an error response."""
    return {"error": {"message": message, "type": kind or _TYPES.get(status, "server_error"), "code": status,
                      "hint": hint},
            "request_id": request_id}


def error_response(status: int, message: str, *, hint: str | None = None, kind: str | None = None,
                   request_id: str | None = None, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """An error as a JSON response."""
    return WireJSONResponse(error_body(status, message, hint=hint, kind=kind, request_id=request_id),
                            status_code=status, headers=dict(headers or {}))


def _location(loc: Sequence[Any]) -> str:
    """``("body", "history", 0, "role")`` → ``history[0].role``; union-member tags are dropped."""
    text = ""
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _UNION_TAG.fullmatch(str(part)):
            text += f".{part}" if text else str(part)
    return text


# how pydantic names the members of a union in an error location: "str", "dict[str,any]", "TurnIn"
_UNION_TAG = re.compile(r"(str|int|float|bool|none|list|dict|tuple|set|literal\[.*\]|function-\w+)(\[.*\])?|[A-Z]\w*")


def validation_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """One line naming every invalid field of a request, e.g. ``question: Field required``."""
    by_field: dict[str, list[str]] = {}
    for error in errors:
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "invalid JSON")
            position = next((p for p in error.get("loc", ())[1:] if isinstance(p, int)), None)
            where = f" at character {position}" if position is not None else ""
            return f"the request body is not valid JSON: {reason}{where}"
        message = str(error.get("msg", "invalid value"))
        by_field.setdefault(_location(error.get("loc", ())), []).append(message)
    described = []
    for where, messages in by_field.items():
        unique = list(dict.fromkeys(messages))
        if len(unique) > 1:  # one field, several union members: "a valid string or a valid dictionary"
            unique = [" or ".join(m.removeprefix("Input should be ") for m in unique)]
            unique[0] = "Input should be " + unique[0]
        described.append(f"{where}: {unique[0]}" if where else unique[0])
    return ("; ".join(described) or "invalid request").replace("\n", " ")


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping above on ``app``."""

    async def on_assistant_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AssistantError)
        status, kind = status_of(exc)
        headers = {"Retry-After": "5"} if status == 503 else None
        return error_response(status, exc.message, hint=exc.hint, kind=kind, request_id=_request_id(request),
                              headers=headers)

    async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.message, hint=exc.hint, request_id=_request_id(request),
                              headers=exc.headers)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(422, validation_message(exc.errors()), request_id=_request_id(request))

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
        return error_response(exc.status_code, message, request_id=_request_id(request),
                              headers=dict(exc.headers or {}))

    app.add_exception_handler(AssistantError, on_assistant_error)
    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
