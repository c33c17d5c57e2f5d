"""Hostile input over real HTTP: no 500, no stalled worker, nothing unchecked streamed, a deadline per request."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import httpx
import pytest
from api_support import serve_in_thread, sse_frames_of

from assistant.api import create_app
from assistant.config import Settings
from assistant.pipeline.answer import Assistant

WILD = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:' + "*?" * 100 + 'Z","Resource":"*"}]}'


def test_a_backtracking_pattern_is_answered_at_once_and_health_stays_up(client: httpx.Client) -> None:
    results: list[float] = []

    def hostile() -> None:
        started = time.monotonic()
        assert client.post("/v1/check", json={"policy": WILD}).status_code == 200
        results.append(time.monotonic() - started)

    threads = [threading.Thread(target=hostile) for _ in range(4)]
    for thread in threads:
        thread.start()
    assert client.get("/healthz").status_code == 200
    for thread in threads:
        thread.join(30)
    assert len(results) == 4 and max(results) < 5


@pytest.mark.parametrize(("body", "says"), [
    ('{"question": "\\ud800 help"}', "surrogate"),
    ('{"question": "MFA", "history": [{"role": "user", "content": "\\udfff"}]}', "surrogate"),
    ('{"policy": {"Version": "2012-10-17", "Statement": [], "Id": NaN}}', "NaN"),
    ('{"policy": {"Version": "2012-10-17", "Statement": {"Condition": {"NumericLessThan": {"s3:max-keys": 1e400}}}}}',
     "out of range"),
    ('{"policy": Infinity}', "Infinity"),
])
def test_bodies_json_accepts_but_json_is_not_are_422(client: httpx.Client, body: str, says: str) -> None:
    path = "/v1/ask" if "question" in body else "/v1/check"
    response = client.post(path, content=body.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert says in response.json()["error"]["message"]


def test_a_body_that_is_not_utf8_is_422(client: httpx.Client) -> None:
    response = client.post("/v1/check", content=b'{"policy": "\xff\xfe"}', headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and "UTF-8" in response.json()["error"]["message"]


@pytest.mark.parametrize("policy", [
    '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*", '
    '"Condition": {"NumericLessThan": {"s3:max-keys": 1e400}}}}',
    '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": '
    '"arn:aws:s3:::amzn-s3-demo-bucket/' + "k" * 1_000 + '"}}',
    '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "\\ud800"}}',
    '{"Version": "2012-10-17", "Statement": [1, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}',
])
def test_well_formed_policy_text_never_gives_a_500(client: httpx.Client, policy: str) -> None:
    response = client.post("/v1/check", json={"policy": policy})
    assert response.status_code == 200, response.text
    json.loads(response.text)  # strict JSON


@pytest.mark.parametrize("statements", [
    ["oops", {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],  # a non-object entry
    [{"Sid": ["a"], "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],  # a Sid that is a list (fuzz)
    [{"Sid": {}, "Effect": "Deny", "Action": "s3:ListBucket", "Resource": "*"}],
])
def test_odd_statements_give_a_fix_not_a_500(client: httpx.Client, statements: list[Any]) -> None:
    policy = {"Version": "2012-10-17", "Statement": statements}
    text = ("User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:ListUsers on resource: "
            "arn:aws:iam::123456789012:user/ because no identity-based policy allows the iam:ListUsers action")
    response = client.post("/v1/explain-error", json={"text": text, "policies": [policy]})
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def late(api_settings: Settings, assistant: Assistant) -> Iterator[str]:
    """A server whose request deadline is shorter than a grounded answer takes."""
    yield from serve_in_thread(create_app(replace(api_settings, api_deadline_s=0.02), assistant))


def test_past_the_deadline_the_client_gets_504_and_the_server_answers_again(late: str, seed_text: str) -> None:
    with httpx.Client(base_url=late, timeout=60, trust_env=False) as http:
        response = http.post("/v1/ask", json={"question": seed_text, "mode": "deterministic"})
        assert response.status_code == 504
        assert "did not finish within 0.02 s" in response.json()["error"]["message"]
        assert http.get("/healthz").status_code == 200  # the event loop is free while the answer finishes


class _ScriptedModel:
    """A chat model that writes an unchecked grant under a 'verified' heading."""

    name = "scripted"

    def __init__(self, text: str) -> None:
        self.text = text

    def stream(self, messages: Sequence[tuple[str, str]]) -> Iterator[str]:
        for start in range(0, len(self.text), 9):
            yield self.text[start:start + 9]


RAW = ("MFA デバイスを登録できない原因はポリシーです。\n\n## 検証済みの修正\n\n"
       "チェッカーで検証済みです。\n\n```json\n"
       '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}\n```\n')


@pytest.fixture(scope="module")
def with_model(api_settings: Settings, assistant: Assistant) -> Iterator[str]:
    llm = Assistant(api_settings, assistant.catalog, assistant.retriever, list(assistant.articles.values()),
                    _ScriptedModel(RAW))
    yield from serve_in_thread(create_app(api_settings, llm))


def _streamed_text(frames: list[tuple[str | None, str]], openai_style: bool) -> str:
    if openai_style:
        chunks = [json.loads(data) for _, data in frames if data != "[DONE]"]
        return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices"))
    return "".join(json.loads(data)["text"] for event, data in frames if event == "token")


@pytest.mark.parametrize("route", ["/v1/ask", "/v1/chat/completions"])
def test_a_streaming_client_never_sees_the_unchecked_policy_or_its_claim(with_model: str, seed_text: str,
                                                                          route: str) -> None:
    openai_style = route != "/v1/ask"
    body: dict[str, Any] = ({"model": "kb-assistant-llm", "stream": True,
                             "messages": [{"role": "user", "content": seed_text}]} if openai_style
                            else {"question": seed_text, "mode": "llm"})
    with httpx.Client(base_url=with_model, timeout=120, trust_env=False) as http, http.stream(
            "POST", route, json=body, headers={"Accept": "text/event-stream"}) as response:
        frames = list(sse_frames_of(response))
    streamed = _streamed_text(frames, openai_style)
    assert '"Action": "*"' not in streamed and "検証済みです" not in streamed
    assert streamed.startswith("MFA デバイスを登録できない原因はポリシーです。")
