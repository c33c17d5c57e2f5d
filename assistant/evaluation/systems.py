"""The systems under test, seen only through the public API: the answer pipeline or retrieval alone.

Each turns one dataset question into an ``Observation``; the runner times and scores it. The
pipeline is built once by the caller (it is heavy) and shared by the worker threads.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol

from assistant.evaluation.dataset import EvalQuestion
from assistant.evaluation.scoring import Observation, ranking_of

__all__ = ["AssistantSystem", "RetrievalSystem", "System"]


class System(Protocol):
    """Something that answers dataset questions."""

    answers: bool  # False when only retrieval is measured (no answer text)

    def __call__(self, question: EvalQuestion) -> Observation:
        """What came back for ``question``; raise on failure (the runner records the error)."""

    def describe(self) -> dict[str, Any]:
        """What is being evaluated, for the run's config."""


def _ids(value: Any) -> tuple[str, ...] | None:
    """Article ids from an optional ``retrieved`` list of ids or of {"id": …} objects."""
    if not isinstance(value, list):
        return None
    ids = [v.get("id") if isinstance(v, Mapping) else v for v in value]
    return tuple(i for i in ids if isinstance(i, str))


class AssistantSystem:
    """The full pipeline (``Assistant.ask``) in one mode; the ranking is the answer's citation order."""

    answers = True

    def __init__(self, assistant: Any, mode: str) -> None:
        self.assistant = assistant
        self.mode = mode

    def __call__(self, question: EvalQuestion) -> Observation:
        from assistant.pipeline.answer import Turn

        history = tuple(Turn(role, content) for role, content in question.history)
        document = self.assistant.ask(question.question, history, self.mode).to_json()
        in_scope = document.get("in_scope")
        return Observation(document, ranking_of(document), _ids(document.get("retrieved")),
                           in_scope if isinstance(in_scope, bool) else None, document.get("timings_ms") or {})

    def describe(self) -> dict[str, Any]:
        """The requested mode and the pipeline's status (mode, model, index, kb version)."""
        return {"system": "assistant", "requested_mode": self.mode, "status": self.assistant.status()}


class RetrievalSystem:
    """Retrieval only (``Retriever.search``): ranking and scope from the search results."""

    answers = False

    def __init__(self, retriever: Any, k: int = 10) -> None:
        self.retriever = retriever
        self.k = k

    def __call__(self, question: EvalQuestion) -> Observation:
        started = time.perf_counter()
        result = self.retriever.search(question.question, self.k)
        elapsed = (time.perf_counter() - started) * 1000
        ids = tuple(hit.id for hit in result.hits)
        return Observation(None, ids, ids, bool(result.in_scope), {"retrieval": round(elapsed, 2)})

    def describe(self) -> dict[str, Any]:
        """The search depth."""
        return {"system": "retrieval", "k": self.k}
