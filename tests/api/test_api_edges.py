"""The edges of the HTTP API: auth, size limit, request ids, logs, failures mapped to status codes."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import openai
import pytest
from api_support import TOKEN, serve_in_thread, sse_frames_of

from assistant.api import MAX_BODY_BYTES, create_app
from assistant.api._logging import JsonFormatter
from assistant.errors import IndexError_

# the first test to run builds the session's index (minutes on a busy machine)
pytestmark = pytest.mark.timeout(900)

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


# --- auth ---------------------------------------------------------------------------------------

def test_token_is_required_when_configured(served_with_token: Any) -> None:
    with httpx.Client(base_url=served_with_token.url, trust_env=False, timeout=60) as http:
        missing = http.post("/v1/check", json={"policy": POLICY})
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert missing.json()["error"]["message"] == "missing bearer token"
        assert "KB_ASSISTANT_API_TOKEN" in missing.json()["error"]["hint"]
        wrong = http.post("/v1/check", json={"policy": POLICY}, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json()["error"]["message"] == "invalid bearer token"
        assert http.get("/v1/articles/mfa-device-registration-denied").status_code == 401
        good = http.post("/v1/check", json={"policy": POLICY}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert good.status_code == 200 and good.json()["valid"] is True
        assert http.get("/healthz").status_code == 200  # open for load balancers


def test_openai_client_authenticates_with_the_token(served_with_token: Any) -> None:
    messages = [{"role": "user", "content": "What does an explicit deny in an identity-based policy mean?"}]
    with openai.OpenAI(base_url=f"{served_with_token.url}/v1", api_key=TOKEN, max_retries=0) as chat:
        completion = chat.chat.completions.create(model="kb-assistant", messages=messages)  # type: ignore[arg-type]
        assert completion.choices[0].message.content
    with (openai.OpenAI(base_url=f"{served_with_token.url}/v1", api_key="wrong", max_retries=0) as chat,
          pytest.raises(openai.AuthenticationError, match="invalid bearer token")):
        chat.chat.completions.create(model="kb-assistant", messages=messages)  # type: ignore[arg-type]


def test_no_token_configured_means_open(client: httpx.Client) -> None:
    assert client.post("/v1/check", json={"policy": POLICY}, headers={"Authorization": "Bearer x"}).status_code == 200


# --- request size -------------------------------------------------------------------------------

def test_oversized_body_is_413_before_parsing(client: httpx.Client) -> None:
    big = b'{"policy": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
    response = client.post("/v1/check", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["message"] == f"the request body is {len(big)} bytes; the limit is {MAX_BODY_BYTES} bytes"
    # not even JSON: refused for its size, not its syntax
    garbage = client.post("/v1/ask", content=b"{" * (MAX_BODY_BYTES + 1), headers={"Content-Type": "application/json"})
    assert garbage.status_code == 413


def test_oversized_chunked_body_is_413(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * 10_000

    response = client.post("/v1/check", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["message"] == f"the request body is over {MAX_BODY_BYTES} bytes; the limit is " \
        f"{MAX_BODY_BYTES} bytes"


def test_body_just_under_the_limit_is_read(client: httpx.Client) -> None:
    text = json.dumps(POLICY) + " " * (MAX_BODY_BYTES - 200)
    response = client.post("/v1/check", json={"policy": text})
    assert response.status_code == 200


# --- request id and logs ------------------------------------------------------------------------

def test_request_id_is_echoed_or_made(client: httpx.Client) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert len(made.headers["x-request-id"]) == 32
    error = client.get("/v1/articles/none", headers={"X-Request-ID": "r-404"})
    assert error.json()["request_id"] == "r-404"


def _records(caplog: pytest.LogCaptureFixture, request_id: str) -> list[logging.LogRecord]:
    deadline = time.monotonic() + 5  # the log line is written after the last byte is sent
    while time.monotonic() < deadline:
        found = [r for r in caplog.records if getattr(r, "request_id", None) == request_id]
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"no log record for {request_id}")


def test_request_log_is_structured_and_keeps_policies_and_tokens_out(
        served_with_token: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="assistant.api")
    marker = "arn:aws:s3:::very-private-bucket-7731"
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                      "Resource": marker}]}
    response = httpx.post(f"{served_with_token.url}/v1/check?debug=1", json={"policy": policy}, trust_env=False,
                          headers={"Authorization": f"Bearer {TOKEN}", "X-Request-ID": "log-test-1"})
    assert response.status_code == 200
    (record,) = _records(caplog, "log-test-1")
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "info" and line["logger"] == "assistant.api" and line["message"] == "request"
    assert (line["method"], line["path"], line["status"], line["request_id"]) == ("POST", "/v1/check", 200,
                                                                                 "log-test-1")
    assert isinstance(line["duration_ms"], float)
    everything = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert marker not in everything and TOKEN not in everything and "debug=1" not in everything


# --- failures -----------------------------------------------------------------------------------

class _FailingAssistant:
    """A pipeline whose index disappears mid-answer."""

    def __init__(self, real: Any) -> None:
        self.catalog = real.catalog
        self.retriever = real.retriever
        self.status = real.status

    def stream(self, question: str, history: Any = (), mode: str = "auto") -> Iterator[Any]:
        yield "partial "
        raise IndexError_("the index generation disappeared", hint="retry the request")

    def ask(self, question: str, history: Any = (), mode: str = "auto") -> Any:
        raise IndexError_("the index generation disappeared", hint="retry the request")


@pytest.fixture(scope="module")
def failing(api_settings: Any, assistant: Any) -> Iterator[str]:
    yield from serve_in_thread(create_app(api_settings, _FailingAssistant(assistant)))  # type: ignore[arg-type]


def test_project_errors_map_to_status(failing: str) -> None:
    response = httpx.post(f"{failing}/v1/ask", json={"question": "x"}, trust_env=False)
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert response.json()["error"] == {"message": "the index generation disappeared", "type": "service_unavailable",
                                        "code": 503, "hint": "retry the request"}


def test_errors_mid_stream_end_the_stream_with_an_error_event(failing: str) -> None:
    with httpx.stream("POST", f"{failing}/v1/ask", json={"question": "x"}, trust_env=False,
                      headers={"Accept": "text/event-stream"}) as response:
        assert response.status_code == 200
        frames = list(sse_frames_of(response))
    assert frames[0] == ("token", json.dumps({"text": "partial "}))
    event, data = frames[-1]
    assert event == "error" and json.loads(data)["error"]["code"] == 503


def test_openai_client_sees_errors_mid_stream(failing: str) -> None:
    with openai.OpenAI(base_url=f"{failing}/v1", api_key="x", max_retries=0) as chat:
        stream = chat.chat.completions.create(model="kb-assistant", stream=True,
                                              messages=[{"role": "user", "content": "x"}])
        with pytest.raises(openai.APIError, match="the index generation disappeared"):
            list(stream)


def test_a_server_that_cannot_start_says_why(api_settings: Any) -> None:
    for url in serve_in_thread(create_app(replace(api_settings, embedding="bogus"))):
        with httpx.Client(base_url=url, trust_env=False, timeout=60) as http:
            deadline = time.monotonic() + 60
            health = http.get("/healthz")
            while health.json()["status"] == "starting" and time.monotonic() < deadline:
                time.sleep(0.1)
                health = http.get("/healthz")
            assert health.status_code == 503
            assert health.json()["status"] == "unavailable" and "unknown embedding model" in health.json()["error"]
            ask = http.post("/v1/ask", json={"question": "x"})
            assert ask.status_code == 503
            assert ask.json()["error"]["message"] == "the assistant could not start: unknown embedding model 'bogus'"
            assert "KB_ASSISTANT_EMBEDDING" in ask.json()["error"]["hint"]
            assert http.post("/v1/check", json={"policy": POLICY}).status_code == 200  # needs only the catalog
