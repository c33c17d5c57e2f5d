"""The OpenAI chat-completions dialect: requests in, ``chat.completion`` / ``chat.completion.chunk`` out.

Existing chat clients and bots talk to the assistant through it. The last user message is the
question and the messages before it are the history; the model name picks the answer mode
(``kb-assistant`` = auto, ``kb-assistant-deterministic``, ``kb-assistant-llm``; any other name = auto).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.api._errors import wire_json
from assistant.errors import UsageError
from assistant.pipeline.answer import Answer, Turn

__all__ = ["MODELS", "ChatRequest", "chat_completion", "chat_stream", "conversation", "models_document"]

MODELS = {"kb-assistant": "auto", "kb-assistant-deterministic": "deterministic", "kb-assistant-llm": "llm"}


class ChatMessage(BaseModel):
    """One message; content is a string or a list of parts of which the text parts are read."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text (text parts joined)."""
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") in ("text", "input_text"))
        return self.content or ""


class ChatRequest(BaseModel):
    """The fields of a chat-completions request the assistant reads; the rest are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = "kb-assistant"
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False


def conversation(request: ChatRequest) -> tuple[str, list[Turn], str]:
    """The question (last user message), the history before it and the answer mode."""
    last = max((i for i, m in enumerate(request.messages) if m.role == "user"), default=None)
    if last is None:
        raise UsageError("messages has no 'user' message to answer")
    history = [Turn(m.role, m.text()) for m in request.messages[:last] if m.role in ("user", "assistant")]
    return request.messages[last].text(), history, MODELS.get(request.model, "auto")


def _envelope(kind: str, completion_id: str, model: str, created: int) -> dict[str, Any]:
    return {"id": completion_id, "object": kind, "created": created, "model": model, "system_fingerprint": None}


def chat_completion(answer: Answer, model: str) -> dict[str, Any]:
    """A complete ``chat.completion``; the ask document rides along under ``kb_assistant``."""
    document = _envelope("chat.completion", f"chatcmpl-{uuid.uuid4().hex}", model, int(time.time()))
    document["choices"] = [{"index": 0, "message": {"role": "assistant", "content": answer.answer},
                            "finish_reason": "stop", "logprobs": None}]
    document["kb_assistant"] = answer.to_json()
    return document


def chat_stream(items: Iterator[str | Answer], model: str) -> Iterator[str]:
    """Server-sent ``chat.completion.chunk`` events for the pipeline's stream, then ``data: [DONE]``.

    When the checked answer differs from the text already streamed (the guard repaired or removed a
    policy), the checked answer follows in full, so that the last text a client shows is the verified one.
    """
    envelope = _envelope("chat.completion.chunk", f"chatcmpl-{uuid.uuid4().hex}", model, int(time.time()))

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {**envelope, "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
                **extra}
        return f"data: {wire_json(body)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    streamed = ""
    for item in items:
        if isinstance(item, Answer):
            if not streamed.rstrip().endswith(item.answer.rstrip()):
                note = ("\n\n---\n\n**チェッカーで確認した回答:**\n\n" if item.lang == "ja"
                        else "\n\n---\n\n**Answer as checked by the policy checker:**\n\n")
                yield chunk({"content": note + item.answer})
            yield chunk({}, "stop", kb_assistant=item.to_json())
            break
        if item:
            streamed += item
            yield chunk({"content": item})
    yield "data: [DONE]\n\n"


def models_document() -> dict[str, Any]:
    """``GET /v1/models``: the model names that select a mode."""
    return {"object": "list", "data": [{"id": name, "object": "model", "created": 0, "owned_by": "kb-assistant"}
                                       for name in MODELS]}
