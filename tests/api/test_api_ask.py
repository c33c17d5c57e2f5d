"""Answers over HTTP: /v1/ask (JSON and server-sent events) and /v1/chat/completions with the real
``openai`` client, on the seed example verbatim.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from api_support import sse_frames_of

# the first test to run builds the session's index (minutes on a busy machine)
pytestmark = pytest.mark.timeout(900)

SEED_ARTICLE = "mfa-device-registration-denied"


def assert_seed_answer(document: dict[str, Any]) -> None:
    """The seed: both denials diagnosed, a verified fix, the seed article cited, in Japanese."""
    assert document["lang"] == "ja" and document["in_scope"] is True
    assert [(d["action"], d["decision"]) for d in document["diagnoses"]] == [
        ("iam:ListVirtualMFADevices", "ExplicitlyDenied"), ("iam:CreateVirtualMFADevice", "ImplicitlyDenied")]
    assert document["diagnoses"][0]["statement_sid"] == "0987654321"
    fixes = [p for p in document["policies"] if p["verified"]]
    assert fixes and all(p["valid"] for p in fixes)
    assert any(len(p["resolves"]) == 2 for p in fixes)
    assert SEED_ARTICLE in [c["id"] for c in document["citations"]]
    assert all(c["lang"] == "ja" for c in document["citations"])
    assert any("\u3040" <= ch <= "\u30ff" for ch in document["answer"])  # kana: a Japanese answer


@pytest.fixture(scope="module")
def seed_answer(served: Any, seed_text: str) -> dict[str, Any]:
    """The non-streamed ask document for the seed, asked once for the module."""
    response = httpx.post(f"{served.url}/v1/ask", json={"question": seed_text, "mode": "deterministic"},
                          timeout=120, trust_env=False)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def test_ask_seed(seed_answer: dict[str, Any]) -> None:
    assert_seed_answer(seed_answer)
    assert seed_answer["mode"] == "deterministic"
    assert set(seed_answer) >= {"answer", "lang", "mode", "in_scope", "citations", "diagnoses", "policies"}


def test_ask_streams_tokens_then_the_document(client: httpx.Client, seed_text: str,
                                              seed_answer: dict[str, Any]) -> None:
    body = {"question": seed_text, "mode": "deterministic"}
    with client.stream("POST", "/v1/ask", json=body, headers={"Accept": "text/event-stream"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        frames = list(sse_frames_of(response))
    events = [event for event, _ in frames]
    assert events[-1] == "done" and set(events[:-1]) == {"token"} and len(events) > 2
    text = "".join(json.loads(data)["text"] for _, data in frames[:-1])
    document = json.loads(frames[-1][1])
    assert text.strip() == document["answer"].strip()
    assert_seed_answer(document)
    document.pop("timings_ms")
    assert document == {k: v for k, v in seed_answer.items() if k != "timings_ms"}


def test_ask_follow_up_uses_the_history(client: httpx.Client, seed_text: str, seed_answer: dict[str, Any]) -> None:
    history = [{"role": "user", "content": seed_text}, {"role": "assistant", "content": seed_answer["answer"]}]
    response = client.post("/v1/ask", json={"question": "修正したのにまだエラーになります。", "history": history,
                                            "mode": "deterministic"})
    assert response.status_code == 200
    document = response.json()
    assert document["lang"] == "ja"
    assert [d["action"] for d in document["diagnoses"]] == ["iam:ListVirtualMFADevices", "iam:CreateVirtualMFADevice"]


def test_ask_out_of_scope(client: httpx.Client) -> None:
    document = client.post("/v1/ask", json={"question": "How do I bake sourdough bread?"}).json()
    assert document["in_scope"] is False and document["lang"] == "en" and document["citations"] == []


@pytest.mark.parametrize(("body", "message"), [
    ({}, "question: Field required"),
    ({"question": "x", "mode": "fast"}, "mode: Input should be 'auto', 'deterministic' or 'llm'"),
    ({"question": "x", "history": [{"role": "system", "content": "x"}]},
     "history[0].role: Input should be 'user' or 'assistant'"),
    ({"question": "   "}, "the question is empty"),
])
def test_ask_bad_requests_are_422_with_one_line(client: httpx.Client, body: dict[str, Any], message: str) -> None:
    for headers in ({}, {"Accept": "text/event-stream"}):
        response = client.post("/v1/ask", json=body, headers=headers)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error"]["message"] == message


def test_ask_body_that_is_not_json(client: httpx.Client) -> None:
    response = client.post("/v1/ask", content=b'{"question": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("the request body is not valid JSON")


# --- OpenAI-compatible chat completions, with the real openai client ------------------------------

@pytest.fixture
def openai_client(served: Any) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{served.url}/v1", api_key="unused", max_retries=0, timeout=120) as chat:
        yield chat


def test_chat_completion(openai_client: openai.OpenAI, seed_text: str) -> None:
    completion = openai_client.chat.completions.create(
        model="kb-assistant-deterministic", messages=[{"role": "system", "content": "be brief"},
                                                      {"role": "user", "content": seed_text}])
    assert completion.object == "chat.completion" and completion.model == "kb-assistant-deterministic"
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    extra = completion.model_extra or {}
    document = extra["kb_assistant"]
    assert choice.message.content == document["answer"]
    assert_seed_answer(document)


def test_chat_completion_streaming(openai_client: openai.OpenAI, seed_text: str) -> None:
    stream = openai_client.chat.completions.create(
        model="kb-assistant", messages=[{"role": "user", "content": [{"type": "text", "text": seed_text}]}],
        stream=True)
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks].count("stop") == 1
    assert chunks[-1].choices[0].finish_reason == "stop"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    document = (chunks[-1].model_extra or {})["kb_assistant"]
    assert text.strip() == document["answer"].strip()
    assert_seed_answer(document)


def test_chat_stream_ends_with_done(client: httpx.Client, seed_text: str) -> None:
    body = {"model": "kb-assistant", "stream": True, "messages": [{"role": "user", "content": seed_text}]}
    with client.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        frames = list(sse_frames_of(response))
    assert all(event is None for event, _ in frames)
    assert frames[-1][1] == "[DONE]"
    assert all(json.loads(data)["object"] == "chat.completion.chunk" for _, data in frames[:-1])


def test_chat_history_is_the_earlier_messages(openai_client: openai.OpenAI, seed_text: str) -> None:
    completion = openai_client.chat.completions.create(model="kb-assistant-deterministic", messages=[
        {"role": "user", "content": seed_text}, {"role": "assistant", "content": "（前の回答）"},
        {"role": "user", "content": "まだ登録できません。"}])
    document = (completion.model_extra or {})["kb_assistant"]
    assert len(document["diagnoses"]) == 2


def test_chat_without_a_user_message_is_422(openai_client: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as raised:
        openai_client.chat.completions.create(model="kb-assistant", messages=[{"role": "system", "content": "hi"}])
    assert "no 'user' message" in str(raised.value)


def test_concurrent_questions_are_answered(served: Any) -> None:
    """Requests run on a thread pool: the shared pipeline must take concurrent Japanese questions."""
    from concurrent.futures import ThreadPoolExecutor

    questions = ["MFA デバイスを登録できません", "ポリシーの保存で MalformedPolicyDocument になります",
                 "SCP で明示的に拒否されました", "iam:PassRole の権限がないと言われます"] * 4

    def ask(question: str) -> int:
        response = httpx.post(f"{served.url}/v1/ask", json={"question": question, "mode": "deterministic"},
                              timeout=120, trust_env=False)
        return response.status_code

    with ThreadPoolExecutor(len(questions)) as pool:
        assert list(pool.map(ask, questions)) == [200] * len(questions)
