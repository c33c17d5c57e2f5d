"""The FastAPI application: thin routes over the answer pipeline, the policy checker and the kb files.

``create_app(settings, assistant=None)`` builds one app; without an ``Assistant`` it builds one in
a background thread at startup (the first start also builds the index), answering 503 until then.
The process holds no per-user state: the conversation comes with every request, so any number of
workers can serve one address. Errors become responses in ``_errors`` only.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from itertools import chain
from typing import TYPE_CHECKING, Annotated, Any, Literal

import anyio
import anyio.to_thread
from fastapi import Body, Depends, FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.api._errors import ApiError, WireJSONResponse, error_body, install_error_handlers, status_of, wire_json
from assistant.api._logging import LOGGER
from assistant.api._middleware import BearerAuth, BodyLimit, RequestLog
from assistant.api._openai import ChatRequest, chat_completion, chat_stream, conversation, models_document
from assistant.config import Settings
from assistant.engine.model import PolicyType
from assistant.engine.validator import SizeQuota
from assistant.errors import AssistantError, UsageError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from assistant.engine.catalog import Catalog
    from assistant.pipeline.answer import Assistant

__all__ = ["MAX_BODY_BYTES", "create_app", "create_app_from_env"]

MAX_BODY_BYTES = 256 * 1024
_ARTICLE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,127}")
_log = logging.getLogger(LOGGER)


# --- request bodies ------------------------------------------------------------------------------

class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TurnIn(_Body):
    """One earlier message of the conversation."""

    role: Literal["user", "assistant"]
    content: str


class AskRequest(_Body):
    """``POST /v1/ask``."""

    question: str
    history: list[TurnIn] = Field(default_factory=list)
    mode: Literal["auto", "deterministic", "llm"] = "auto"


class CheckRequest(_Body):
    """``POST /v1/check``: the policy as text (JSON, free text or Markdown) or as a JSON object."""

    policy: str | dict[str, Any]
    type: PolicyType = PolicyType.IDENTITY
    quota: SizeQuota | None = None


class ExplainRequest(_Body):
    """``POST /v1/explain-error``: the error text and the identity-based policies (text or objects)."""

    text: str
    policies: list[str | dict[str, Any]] = Field(default_factory=list)


# --- the process's shared, read-only resources ----------------------------------------------------

class _Runtime:
    """The catalog and the assistant of this process; the assistant may still be building."""

    def __init__(self, settings: Settings, assistant: Assistant | None) -> None:
        self.settings = settings
        self._assistant = assistant
        self._catalog: Catalog | None = assistant.catalog if assistant is not None else None
        self._owned = assistant is None
        self._failure: BaseException | None = None
        self._ready = threading.Event()
        if assistant is not None:
            self._ready.set()

    def start(self) -> None:
        """Load the catalog now and start building the assistant (unless one was given)."""
        if self._catalog is None:
            from assistant.adapters.iam_catalog import IamDataCatalog

            self._catalog = IamDataCatalog()
        if not self._ready.is_set():
            threading.Thread(target=self._build, name="assistant-build", daemon=True).start()

    def _build(self) -> None:
        from assistant.pipeline.answer import Assistant

        try:
            assistant = Assistant.from_settings(self.settings)
            assistant.retriever.generation()  # builds the index on a fresh data directory
            assistant.retriever.search("warm-up", 1)  # loads the chunk table and the embedding model
            self._assistant = assistant
            _log.info("assistant ready", extra={"status": assistant.status()})
        except Exception as exc:
            self._failure = exc
            _log.error("the assistant cannot start", exc_info=exc)
        finally:
            self._ready.set()

    def close(self) -> None:
        """Release what this runtime built."""
        if self._owned and self._assistant is not None:
            self._assistant.retriever.close()

    @property
    def catalog(self) -> Catalog:
        """The service catalog (ready once startup ran)."""
        if self._catalog is None:
            raise ApiError(503, "the server is starting", hint="retry in a few seconds", headers={"Retry-After": "1"})
        return self._catalog

    def assistant(self) -> Assistant:
        """The assistant, or 503 while it is being built or when it could not be built."""
        if not self._ready.is_set():
            raise ApiError(503, "the assistant is starting (loading models, building the index on a first start)",
                           hint="retry shortly; GET /healthz turns 200 when it is ready",
                           headers={"Retry-After": "5"})
        if self._assistant is None:
            failure = self._failure
            reason = failure.message if isinstance(failure, AssistantError) else f"{type(failure).__name__}: {failure}"
            hint = failure.hint if isinstance(failure, AssistantError) else None
            raise ApiError(503, f"the assistant could not start: {reason}",
                           hint=hint or "see the server log; restart the server after fixing the cause")
        return self._assistant

    def health(self) -> tuple[int, dict[str, Any]]:
        """``/healthz``: 200 when the index is usable, with index and LLM status."""
        llm = {"configured": self.settings.llm_enabled,
               "model": self.settings.llm_model if self.settings.llm_enabled else None}
        if not self._ready.is_set():
            return 503, {"status": "starting", "index": {"usable": False}, "llm": llm}
        if self._assistant is None:
            return 503, {"status": "unavailable", "index": {"usable": False}, "llm": llm,
                         "error": f"{type(self._failure).__name__}: {self._failure}"}
        status = self._assistant.status()
        index: dict[str, Any] = dict(status.get("index", {}))
        try:
            generation = self._assistant.retriever.store.current()
        except AssistantError as exc:
            index.update(usable=False, error=str(exc))
        else:
            index.update(usable=generation is not None)
            if generation is not None:
                index.update(generation=generation.name, embedding=generation.model, published=generation.published)
        body = {"status": "ok" if index["usable"] else "unavailable", "mode": status.get("mode"), "index": index,
                "llm": {**llm, "model": status.get("model") or llm["model"]}, "kb_version": status.get("kb_version")}
        return (200 if index["usable"] else 503), body


def _runtime(request: Request) -> _Runtime:
    runtime: _Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[_Runtime, Depends(_runtime)]


# --- streaming -------------------------------------------------------------------------------------

def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {wire_json(data)}\n\n"


def _guarded(events: Iterator[str], error_frame: Callable[[dict[str, Any]], str], request_id: str,
             deadline: float) -> Iterator[str]:
    """The events, ending in an error frame instead of a broken connection when the pipeline fails or is late.

    ``deadline`` is a ``time.monotonic()`` value; the model's own deadline bounds the wait for one event.
    """
    try:
        for event in events:
            if time.monotonic() > deadline:
                yield error_frame(error_body(504, "the answer did not finish within the request deadline",
                                             hint="ask again; the server's limit is KB_ASSISTANT_API_DEADLINE",
                                             request_id=request_id))
                return
            yield event
    except AssistantError as exc:
        status, kind = status_of(exc)
        yield error_frame(error_body(status, exc.message, hint=exc.hint, kind=kind, request_id=request_id))
    except Exception as exc:
        _log.error("unhandled error while streaming", exc_info=exc, extra={"request_id": request_id})
        yield error_frame(error_body(500, f"internal error ({type(exc).__name__})", request_id=request_id))


def _sse(events: Iterator[str]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _started(items: Iterator[Any]) -> Iterator[Any]:
    """The stream with its first item already produced, so that bad input fails before the response starts."""
    first = next(items)
    return chain([first], items)


def _ask_events(items: Iterator[Any]) -> Iterator[str]:
    from assistant.pipeline.answer import Answer

    for item in items:
        if isinstance(item, Answer):
            yield _event("done", item.to_json())
            return
        if item:
            yield _event("token", {"text": item})


# --- routes ----------------------------------------------------------------------------------------

def ask(body: AskRequest, request: Request, runtime: RuntimeDep) -> Any:
    """The ask document; server-sent events (token…, done) with ``Accept: text/event-stream``."""
    from assistant.pipeline.answer import Turn

    assistant = runtime.assistant()
    history = [Turn(t.role, t.content) for t in body.history]
    if "text/event-stream" in request.headers.get("accept", ""):
        items = _started(assistant.stream(body.question, history, body.mode))
        return _sse(_guarded(_ask_events(items), lambda e: _event("error", e), request.state.request_id,
                             request.state.deadline))
    return WireJSONResponse(assistant.ask(body.question, history, body.mode).to_json())


def check(body: CheckRequest, runtime: RuntimeDep) -> Any:
    """The ``check --json`` document (200 whether or not the policy is valid)."""
    from assistant.engine.checker import check_text
    from assistant.wire import check_document

    text = body.policy if isinstance(body.policy, str) else json.dumps(body.policy, indent=2, ensure_ascii=False)
    return WireJSONResponse(check_document(check_text(text, body.type, runtime.catalog, body.quota), body.type))


def simulate(body: Annotated[dict[str, Any], Body()]) -> Any:
    """One case → its ``simulate`` line; ``{"cases": [...]}`` → the list of lines, in order."""
    from assistant.wire import case_line

    if "cases" in body:
        cases = body["cases"]
        if not isinstance(cases, list):
            raise UsageError("'cases' must be a list of case objects")
        return WireJSONResponse([case_line(case, f"cases[{i}]: ") for i, case in enumerate(cases)])
    line = case_line(body)
    if "error" in line:
        raise UsageError(line["error"], hint="the case format is in docs/interfaces.md ('simulate --cases')")
    return WireJSONResponse(line)


def _policy(item: str | dict[str, Any], where: str) -> tuple[Any, Any]:
    """A policy given as an object or as text holding one: its JSON value and parsed form."""
    from assistant.engine.cases import CaseError, policy_of
    from assistant.engine.reader import read_policies

    value: Any = item
    if isinstance(item, str):
        documents = read_policies(item)
        if not documents:
            raise UsageError(f"{where}: no policy JSON found")
        if documents[0].value is None:
            problem = documents[0].findings[0]
            raise UsageError(f"{where}: line {problem.line}, column {problem.column}: {problem.message}",
                             hint="POST it to /v1/check to see every problem")
        value = documents[0].value
    try:
        return value, policy_of(value, where)
    except CaseError as exc:
        raise UsageError(str(exc)) from exc


def explain_error(body: ExplainRequest, runtime: RuntimeDep) -> Any:
    """The ``explain-error --json`` document: diagnoses and, with policies, a verified fix."""
    from assistant.pipeline.diagnosis import diagnose
    from assistant.wire import explain_error_document

    read = [_policy(item, f"policies[{i}]") for i, item in enumerate(body.policies)]
    documents = [value for value, _ in read]
    report = diagnose(body.text, documents, [policy for _, policy in read], runtime.catalog)
    return WireJSONResponse(explain_error_document(report, documents, runtime.catalog))


def chat_completions(body: ChatRequest, request: Request, runtime: RuntimeDep) -> Any:
    """OpenAI-compatible chat completions, streaming or not."""
    question, history, mode = conversation(body)
    assistant = runtime.assistant()
    if body.stream:
        items = _started(assistant.stream(question, history, mode))
        return _sse(_guarded(chat_stream(items, body.model),
                             lambda e: f"data: {wire_json(e)}\n\ndata: [DONE]\n\n",
                             request.state.request_id, request.state.deadline))
    return WireJSONResponse(chat_completion(assistant.ask(question, history, mode), body.model))


def models() -> Any:
    """OpenAI-compatible model list (the names select the answer mode)."""
    return WireJSONResponse(models_document())


def article(article_id: str, runtime: RuntimeDep, lang: str = "ja") -> Any:
    """One knowledge-base article: its front matter and Markdown body."""
    from assistant.adapters.articles import LANGS, parse_article

    if lang not in LANGS:
        raise UsageError(f"unknown lang '{lang}'", hint=f"use one of: {', '.join(LANGS)}")
    path = runtime.settings.kb_dir / lang / f"{article_id}.md"
    if not _ARTICLE_ID.fullmatch(article_id) or not path.is_file():
        raise ApiError(404, f"no article '{article_id}' in '{lang}'",
                       hint="article ids are the 'citations' of /v1/ask answers (kb/<lang>/<id>.md)")
    parsed = parse_article(path.read_text(encoding="utf-8"), path)
    front_matter = json.loads(json.dumps(dict(parsed.meta), ensure_ascii=False, default=str))
    return WireJSONResponse({"id": parsed.id, "lang": parsed.lang, "front_matter": front_matter, "body": parsed.body})


async def healthz(runtime: RuntimeDep) -> Any:
    """Index and LLM status; 200 when the index is usable, 503 otherwise (starting, broken).

    On the event loop, not in the worker threads: it answers while every worker is busy.
    """
    status, body = runtime.health()
    return WireJSONResponse(body, status_code=status)


# --- the app -----------------------------------------------------------------------------------------

def _bounded(route: Callable[..., Any], seconds: float) -> Callable[..., Awaitable[Any]]:
    """``route`` on a worker thread under a deadline: past it the client gets 504 and the event loop moves on.

    A thread cannot be stopped; the work behind it is bounded instead (linear-time engine, capped
    inputs, a deadline per model call), so an abandoned thread ends soon after.
    """

    @functools.wraps(route)
    async def run(*args: Any, **kwargs: Any) -> Any:
        request = next((a for a in [*args, *kwargs.values()] if isinstance(a, Request)), None)
        if request is not None:
            request.state.deadline = time.monotonic() + seconds
        try:
            with anyio.fail_after(seconds):
                return await anyio.to_thread.run_sync(functools.partial(route, *args, **kwargs),
                                                      abandon_on_cancel=True)
        except TimeoutError:
            raise ApiError(504, f"the request did not finish within {seconds:g} s",
                           hint="send a shorter input, or raise KB_ASSISTANT_API_DEADLINE") from None

    return run


def create_app(settings: Settings, assistant: Assistant | None = None) -> FastAPI:
    """The HTTP API over ``assistant`` (built from ``settings`` at startup when not given)."""
    runtime = _Runtime(settings, assistant)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.start()
        yield
        runtime.close()

    app = FastAPI(title="kb-assistant", version="1", lifespan=lifespan,
                  description="Support assistant for AWS access problems (see docs/interfaces.md, 'HTTP API').")
    app.state.runtime = runtime
    install_error_handlers(app)
    deadline = settings.api_deadline_s
    app.add_api_route("/v1/ask", _bounded(ask, deadline), methods=["POST"])
    app.add_api_route("/v1/check", _bounded(check, deadline), methods=["POST"])
    app.add_api_route("/v1/simulate", _bounded(simulate, deadline), methods=["POST"])
    app.add_api_route("/v1/explain-error", _bounded(explain_error, deadline), methods=["POST"])
    app.add_api_route("/v1/chat/completions", _bounded(chat_completions, deadline), methods=["POST"])
    app.add_api_route("/v1/models", models, methods=["GET"])
    app.add_api_route("/v1/articles/{article_id}", article, methods=["GET"])
    app.add_api_route("/healthz", healthz, methods=["GET"])
    # added innermost first: the request log wraps auth, which runs before the body is read
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    if settings.api_token:
        app.add_middleware(BearerAuth, token=settings.api_token)
    app.add_middleware(RequestLog)
    return app


def create_app_from_env() -> FastAPI:
    """The app with settings read from the environment: uvicorn's factory for ``kb-assistant serve``."""
    return create_app(Settings.from_env())
