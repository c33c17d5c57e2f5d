"""The program's own exceptions: one small hierarchy, mapped to exit codes / HTTP status at the edges.

Problems *inside a policy* are findings, not exceptions; these are for things the program cannot do.

    AssistantError
    ├── UsageError            bad arguments or unreadable input (CLI exit 2, HTTP 422)
    │   └── InputTooLargeError   input beyond the documented limits (HTTP 413)
    ├── ArticleError          a knowledge-base file that cannot be read at all
    ├── IndexError_           the vector index cannot be opened, built or queried
    │   ├── IndexLockedError     another writer holds the ingest lock
    │   └── EmbeddingMismatchError  the index was built with another embedding model
    └── LLMError              the language model failed (timeout, rate limit, server error, garbage)
"""

from __future__ import annotations

__all__ = [
    "ArticleError",
    "AssistantError",
    "EmbeddingMismatchError",
    "IndexError_",
    "IndexLockedError",
    "InputTooLargeError",
    "LLMError",
    "UsageError",
]


class AssistantError(Exception):
    """Base of every error the assistant raises on purpose; ``hint`` names the fix."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


class UsageError(AssistantError):
    """Bad arguments or input that cannot be read."""


class InputTooLargeError(UsageError):
    """Input beyond the documented size or nesting limits."""


class ArticleError(AssistantError):
    """A knowledge-base file that cannot be parsed at all."""


class IndexError_(AssistantError):
    """The vector index cannot be opened, built or queried."""


class IndexLockedError(IndexError_):
    """Another process is writing the index."""


class EmbeddingMismatchError(IndexError_):
    """The index was built with a different embedding model or dimension."""


class LLMError(AssistantError):
    """The language model call failed; the pipeline falls back to the deterministic answer."""
