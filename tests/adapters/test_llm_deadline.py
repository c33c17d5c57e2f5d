"""One deadline for a whole model call: a model that drips tokens cannot hold a request past it.

The real ``openai`` client over HTTP to a small OpenAI-compatible server on 127.0.0.1 that sends one
token every ``interval`` seconds (each read is within the per-read timeout, the whole is not).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant.adapters.llm import OpenAIChat
from assistant.config import Settings
from assistant.errors import LLMError


class _Drip(BaseHTTPRequestHandler):
    interval = 0.0
    first_delay = 0.0

    def log_message(self, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        time.sleep(self.first_delay)
        try:
            for number in range(40):
                chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
                         "choices": [{"index": 0, "delta": {"content": f"t{number} "}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                time.sleep(self.interval)
            self.wfile.write(b"data: [DONE]\n\n")
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up, as it should


@pytest.fixture
def drip() -> Iterator[type[_Drip]]:
    handler = type("Handler", (_Drip,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/v1"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def _model(url: str, per_read: float, total: float) -> OpenAIChat:
    return OpenAIChat(Settings(kb_dir=Path("kb"), data_dir=Path("data"), openai_base_url=url, llm_model="m",
                               llm_timeout_s=per_read, llm_total_timeout_s=total))


def test_a_token_every_half_second_stops_at_the_overall_deadline(drip):
    drip.interval = 0.5  # well within the 2 s per-read timeout, 20 s in all
    model = _model(drip.url, per_read=2.0, total=3.0)
    started = time.monotonic()
    received = []
    with pytest.raises(LLMError, match="did not finish within 3 s"):
        for text in model.stream([("user", "hi")]):
            received.append(text)
    took = time.monotonic() - started
    assert 2.9 < took < 4.0 and 3 <= len(received) <= 8


def test_no_first_token_within_the_timeout_is_a_timeout(drip):
    drip.first_delay = 5.0
    model = _model(drip.url, per_read=1.0, total=30.0)
    started = time.monotonic()
    with pytest.raises(LLMError, match="sent no text within 1 s"):
        list(model.stream([("user", "hi")]))
    assert time.monotonic() - started < 2.0


def test_a_prompt_model_streams_everything(drip):
    text = "".join(_model(drip.url, per_read=2.0, total=10.0).stream([("user", "hi")]))
    assert text == "".join(f"t{n} " for n in range(40))


def test_a_connection_refused_is_an_llm_error_quickly():
    model = _model("http://127.0.0.1:9/v1", per_read=2.0, total=5.0)
    started = time.monotonic()
    with pytest.raises(LLMError):
        list(model.stream([("user", "hi")]))
    assert time.monotonic() - started < 3.0
