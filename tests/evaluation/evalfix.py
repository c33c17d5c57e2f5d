"""Hand-made fixtures for the evaluation tests: questions, answer documents, records and a fake system."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.evaluation.dataset import EvalQuestion, ExpectedDiagnosis
from assistant.evaluation.scoring import Observation, score_question


def question(qid: str = "q1", *, lang: str = "en", article: str | None = "a", facts: Sequence[str] = (),
             diagnoses: Sequence[ExpectedDiagnosis] = (), text: str = "why is this denied?") -> EvalQuestion:
    """One dataset question."""
    return EvalQuestion(qid, lang, text, article, tuple(facts), tuple(diagnoses))


def answer(text: str = "Check the policy.", *, cited: Sequence[str] = (), in_scope: bool = True,
           diagnoses: Sequence[Mapping[str, Any]] = (), policies: Sequence[Mapping[str, Any]] = (),
           lang: str = "en", timings: Mapping[str, float] | None = None, retrieved: Sequence[str] | None = None,
           mode: str = "deterministic", notices: Sequence[str] = ()) -> dict[str, Any]:
    """An ``ask --json`` document; ``retrieved`` (the search ranking) defaults to the cited articles."""
    return {"answer": text, "lang": lang, "mode": mode, "in_scope": in_scope,
            "citations": [{"id": c, "lang": lang, "title": c} for c in cited], "diagnoses": list(diagnoses),
            "policies": list(policies), "notices": list(notices),
            "timings_ms": dict(timings or {"analysis": 1.0, "retrieval": 2.0, "generation": 3.0, "guard": 0.0}),
            "retrieved": list(cited if retrieved is None else retrieved)}


def observe(document: Mapping[str, Any] | None, *, ranking: Sequence[str] | None = None,
            retrieved: Sequence[str] | None = None, in_scope: bool | None = None,
            samples: Sequence[str] | None = None, llm: bool = False) -> Observation:
    """An observation of an answer as ``AssistantSystem`` makes it: the search ranking is the document's
    ``retrieved`` list unless given; with ``llm`` the model was asked to write the answer."""
    scope = in_scope if in_scope is not None else (document or {}).get("in_scope")
    listed = (document or {}).get("retrieved")
    search = ranking if ranking is not None else retrieved if retrieved is not None else listed
    fallback = None
    if llm and (document or {}).get("mode") != "llm":
        fallback = ((document or {}).get("notices") or ["answered without the model"])[0]
    return Observation(document, None if search is None else tuple(search),
                       None if retrieved is None else tuple(retrieved), scope,
                       (document or {}).get("timings_ms", {}), None if samples is None else frozenset(samples),
                       fallback, llm and scope is True)


def record(q: EvalQuestion, observation: Observation, *, total_ms: float = 10.0,
           error: str | None = None) -> dict[str, Any]:
    """A results record as the runner stores it."""
    scored = score_question(q, observation)
    return {**q.to_json(), "ranking": None if observation.ranking is None else list(observation.ranking),
            "retrieved": None if observation.retrieved is None else list(observation.retrieved),
            "in_scope": observation.in_scope, "answer": observation.answer, "scores": scored["scores"],
            "checks": scored["checks"], "timings_ms": {**scored["timings_ms"], "total": total_ms}, "judge": None,
            "error": error}


class FakeSystem:
    """A system under test driven by a function; counts calls and the most calls at once."""

    answers = True

    def __init__(self, respond: Callable[[EvalQuestion], Mapping[str, Any]], delay: float = 0.0,
                 llm: bool = False) -> None:
        self.respond = respond
        self.delay = delay
        self.uses_llm = llm
        self.calls: list[str] = []
        self.active = 0
        self.most_active = 0
        self._lock = threading.Lock()

    def __call__(self, q: EvalQuestion) -> Observation:
        with self._lock:
            self.calls.append(q.id)
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            if self.delay:
                time.sleep(self.delay)
            return observe(self.respond(q), llm=self.uses_llm)
        finally:
            with self._lock:
                self.active -= 1

    def describe(self) -> dict[str, Any]:
        return {"system": "fake"}


def write_dataset(path: Path, questions: Sequence[EvalQuestion]) -> Path:
    """A JSON Lines dataset file."""
    import json

    path.write_text("".join(json.dumps(q.to_json(), ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    return path


class ScriptedServer:
    """An OpenAI-compatible /v1/chat/completions on 127.0.0.1 that answers from a queue of (status, content),
    then with ``default``; it records the request bodies. Streaming requests get one SSE chunk."""

    def __init__(self, default: tuple[int, str] = (200, "{}")) -> None:
        import json
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.replies: list[tuple[int, str]] = []
        self.default = default
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.requests.append(body)
                    status, content = server.replies.pop(0) if server.replies else server.default
                if status != 200:
                    data = json.dumps({"error": {"message": content, "type": "server_error"}}).encode()
                    self._send(status, "application/json", data)
                elif body.get("stream"):
                    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                             "choices": [{"index": 0, "delta": {"role": "assistant", "content": content},
                                          "finish_reason": "stop"}]}
                    self._send(200, "text/event-stream", f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode())
                else:
                    payload = {"id": "c1", "object": "chat.completion", "created": 0, "model": body["model"],
                               "choices": [{"index": 0, "finish_reason": "stop",
                                            "message": {"role": "assistant", "content": content}}],
                               "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}}
                    self._send(200, "application/json", json.dumps(payload).encode())

            def _send(self, status: int, kind: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join()


def verdict(*claims: bool, relevance: float = 1.0, reason: str = "r") -> str:
    """A judge reply with one claim per flag (supported or not)."""
    import json

    return json.dumps({"claims": [{"claim": f"claim {i}", "supported": s, "reason": f"why {i}"}
                                  for i, s in enumerate(claims)], "relevance": relevance, "reason": reason})
