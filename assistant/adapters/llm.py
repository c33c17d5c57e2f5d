"""The language model: any OpenAI-compatible chat endpoint through LangChain, streaming.

Built from ``Settings`` in the constructor; every error of the ``openai`` client (which LangChain
raises through) becomes an ``LLMError`` here, so the pipeline handles one exception type.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

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
        self._model = ChatOpenAI(
            model=settings.llm_model,
            api_key=settings.openai_api_key or "not-needed",  # type: ignore[arg-type]  # local servers need none
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout_s,
            max_retries=0,
            temperature=0,
            streaming=True,
        )

    def stream(self, messages: Sequence[tuple[str, str]]) -> Iterator[str]:
        """Yield the answer's text as it is generated; raise ``LLMError`` on any failure."""
        import openai
        from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

        converted: list[BaseMessage] = [
            SystemMessage(text) if role == "system" else AIMessage(text) if role == "assistant" else HumanMessage(text)
            for role, text in messages
        ]
        try:
            for chunk in self._model.stream(converted):
                content = chunk.content
                if isinstance(content, str) and content:
                    yield content
        except openai.OpenAIError as exc:
            raise translate_error(exc) from exc
        except (ValueError, KeyError, TypeError) as exc:  # malformed payloads surface as these in the SDKs
            raise LLMError(f"the model's output was unreadable: {exc}"[:240]) from exc
