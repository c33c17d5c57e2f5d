"""The language model: any OpenAI-compatible chat endpoint through LangChain, streaming.

Built from ``Settings`` in the constructor; every error of the ``openai`` client (which LangChain
raises through) becomes an ``LLMError`` here, so the pipeline handles one exception type.
A call has one deadline as a whole (connect, first token, last token), not only a timeout per read:
the model is read on a worker thread, and the caller stops waiting when the deadline passes, so a
model that sends a token every few seconds cannot hold a request past it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from assistant.config import Settings
from assistant.errors import LLMError

__all__ = ["ChatModel", "OpenAIChat", "translate_error"]



class ChatModel(Protocol):
    """What the pipeline needs of a chat model: a name and streamed text for (role, text) messages."""

    name: str

    def stream(self, messages: Sequence[tuple[str, str]]) -> Iterator[str]:
        """Yield the answer's text; raise ``LLMError`` on failure."""


def _kinds() -> tuple[tuple[type[BaseException], str], ...]:
    import openai  # deferred: the client is heavy to import, and most answers never call a model

    return (
        (openai.APITimeoutError, "the model timed out"),
        (openai.RateLimitError, "the model is rate limited (429)"),
        (openai.AuthenticationError, "the model rejected the API key (401)"),
        (openai.PermissionDeniedError, "the model refused access (403)"),
        (openai.NotFoundError, "the model or endpoint was not found (404)"),
        (openai.BadRequestError, "the model rejected the request (400)"),
        (openai.UnprocessableEntityError, "the model rejected the request (422)"),
        (openai.ConflictError, "the model reported a conflict (409)"),
        (openai.InternalServerError, "the model server failed (5xx)"),
        (openai.APIConnectionError, "the model endpoint cannot be reached"),
        (openai.APIResponseValidationError, "the model's response was unreadable"),
        (openai.APIStatusError, "the model returned an error status"),
        (openai.APIError, "the model call failed"),
        (openai.OpenAIError, "the model call failed"),
    )


def translate_error(error: BaseException) -> LLMError:
    """The ``LLMError`` for an exception raised by the openai client."""
    reason = next((text for kind, text in _kinds() if isinstance(error, kind)), "the model's output was unreadable")
    return LLMError(f"{reason}: {str(error)[:200]}", hint="the answer falls back to the deterministic composer")


class OpenAIChat:
    """A streaming chat model on an OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, …)."""

    def __init__(self, settings: Settings) -> None:
        from langchain_openai import ChatOpenAI

        self.name = settings.llm_model
        self._first_token_s = settings.llm_timeout_s
        self._total_s = settings.llm_total_timeout_s
        self._model = ChatOpenAI(
            model=settings.llm_model,
            api_key=settings.openai_api_key or "not-needed",  # type: ignore[arg-type]  # local servers need none
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout_s,
            max_retries=0,
            temperature=0,
            streaming=True,
        )

    def _produce(self, converted: list[Any], out: queue.Queue[tuple[str, Any]], stop: threading.Event) -> None:
        """Read the model on a worker thread; every outcome goes to ``out`` (which never blocks)."""
        import openai

        chunks = self._model.stream(converted)
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                if isinstance(chunk.content, str) and chunk.content:
                    out.put(("text", chunk.content))
            out.put(("end", None))
        except openai.OpenAIError as exc:
            out.put(("error", translate_error(exc)))
        except (ValueError, KeyError, TypeError) as exc:  # malformed payloads surface as these in the SDKs
            out.put(("error", LLMError(f"the model's output was unreadable: {exc}"[:240])))
        except Exception as exc:  # handed to the caller's thread, which raises it there
            out.put(("error", exc))
        finally:
            close = getattr(chunks, "close", None)  # a generator: closing it closes the HTTP response
            if close is not None:
                close()

    def stream(self, messages: Sequence[tuple[str, str]]) -> Iterator[str]:
        """Yield the answer's text as it is generated; raise ``LLMError`` on any failure or past the deadline."""
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        converted: list[Any] = [
            SystemMessage(text) if role == "system" else AIMessage(text) if role == "assistant" else HumanMessage(text)
            for role, text in messages
        ]
        started = time.monotonic()
        out: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()
        threading.Thread(target=self._produce, args=(converted, out, stop), name="llm-stream", daemon=True).start()
        first = True
        try:
            while True:
                limit = min(self._total_s, self._first_token_s) if first else self._total_s
                try:
                    kind, value = out.get(timeout=max(0.0, started + limit - time.monotonic()))
                except queue.Empty:
                    what = "sent no text" if first else "did not finish"
                    raise LLMError(f"the model timed out: it {what} within {limit:g} s",
                                   hint="the answer falls back to the deterministic composer; raise "
                                        "KB_ASSISTANT_LLM_TIMEOUT / KB_ASSISTANT_LLM_TOTAL_TIMEOUT for a slow model"
                                   ) from None
                if kind == "end":
                    return
                if kind == "error":
                    raise value
                first = False
                yield value
        finally:
            stop.set()  # the worker ends at its next chunk, or at the per-read timeout
