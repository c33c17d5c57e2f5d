"""Pipeline fixtures: one real index for the module, and a scripted OpenAI-compatible server on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant.adapters.articles import load_articles
from assistant.config import Settings
from assistant.retrieval import Retriever

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def index_settings(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Settings:
    """Settings on the real knowledge base with one data directory for the whole session."""
    return Settings(kb_dir=REPO / "kb", data_dir=tmp_path_factory.mktemp("pipeline-data"),
                    embedding_cache_path=embedding_cache)


@pytest.fixture(scope="session")
def retriever(index_settings: Settings) -> Retriever:
    """The real retriever; its first search builds the index."""
    built = Retriever(index_settings)
    built.search("MFA", k=1)
    return built


@pytest.fixture(scope="session")
def articles(index_settings: Settings) -> list:
    return load_articles(index_settings.kb_dir)


@dataclass
class Script:
    """What the scripted model answers, in order, and the request bodies it received."""

    replies: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    script: Script

    def log_message(self, *args: Any) -> None:  # keep test output clean
        return

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.script.requests.append(body)
        reply = self.script.replies.pop(0) if self.script.replies else {"text": "(no more replies)"}
        if "sleep" in reply:
            time.sleep(reply["sleep"])
        if "status" in reply:
            payload = json.dumps({"error": {"message": reply.get("message", "scripted error"), "type": "error"}})
            self.send_response(reply["status"])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload.encode())
            return
        if "raw" in reply:
            raw = reply["raw"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
            return
        text = reply["text"]
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for start in range(0, len(text), 40):
                chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                         "choices": [{"index": 0, "delta": {"content": text[start:start + 40]},
                                      "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            done = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
            return
        payload = json.dumps({"id": "c1", "object": "chat.completion", "created": 0, "model": body["model"],
                              "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                           "finish_reason": "stop"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture(scope="session")
def model_server() -> Iterator[tuple[str, Script]]:
    """A scripted OpenAI-compatible chat server on 127.0.0.1; tests set ``script.replies``."""
    script = Script()
    handler = type("Handler", (_Handler,), {"script": script})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", script
    server.shutdown()
    server.server_close()
