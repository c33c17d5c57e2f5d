"""The systems under test, seen only through the public API: the answer pipeline or retrieval alone.

Each turns one dataset question into an ``Observation``; the runner times and scores it. The
pipeline is built once by the caller (it is heavy) and shared by the worker threads.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol

from assistant.evaluation.dataset import EvalQuestion
from assistant.evaluation.reader_checks import sample_names
from assistant.evaluation.scoring import Observation

__all__ = ["AssistantSystem", "RetrievalSystem", "System"]

_PASSAGES = 5  # retrieved passages kept per question for the report


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


def _samples(article: Any) -> frozenset[str]:
    """The sample names of an article: its whole body and its fix slots' sample values."""
    slots = article.fix.slots if article.fix is not None else ()
    return frozenset(sample_names([article.body], [slot.sample for slot in slots]))


class AssistantSystem:
    """The full pipeline (``Assistant.ask``) in one mode; the search ranking is the answer's ``retrieved``
    list. In an LLM run every in-scope answer is expected from the model, and one the pipeline wrote
    deterministically instead is a fallback, with the notice that says why."""

    answers = True

    def __init__(self, assistant: Any, mode: str) -> None:
        self.assistant = assistant
        self.mode = mode
        self.uses_llm = mode == "llm" or (mode == "auto" and assistant.llm is not None)
        self._samples = {key: _samples(article) for key, article in assistant.articles.items()}

    def __call__(self, question: EvalQuestion) -> Observation:
        from assistant.pipeline.answer import Turn

        history = tuple(Turn(role, content) for role, content in question.history)
        document = self.assistant.ask(question.question, history, self.mode).to_json()
        in_scope = document.get("in_scope")
        samples: frozenset[str] = frozenset()
        for citation in document.get("citations") or []:
            samples |= self._samples.get((citation.get("id"), citation.get("lang") or document.get("lang")),
                                         frozenset())
        expected = self.uses_llm and in_scope is True
        fallback = None
        if expected and document.get("mode") != "llm":
            notices = [str(n) for n in document.get("notices") or []]
            fallback = notices[0] if notices else "answered without the model"
        retrieved = _ids(document.get("retrieved"))
        lang = document.get("lang") or question.lang
        passages = tuple({"id": i, "title": a.title, "text": a.summary}
                         for i in (retrieved or ())[:_PASSAGES] if (a := self.assistant.articles.get((i, lang))))
        return Observation(document, retrieved, retrieved, in_scope if isinstance(in_scope, bool) else None,
                           document.get("timings_ms") or {}, samples, fallback, expected, passages)

    def describe(self) -> dict[str, Any]:
        """The requested mode and the pipeline's status (mode, model, index, kb version)."""
        return {"system": "assistant", "requested_mode": self.mode, "uses_llm": self.uses_llm,
                "status": self.assistant.status()}


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
        passages = tuple({"id": h.id, "title": h.title, "text": f"{h.section}: {h.text[:400]}"}
                         for h in result.hits[:_PASSAGES])
        return Observation(None, ids, ids, bool(result.in_scope), {"retrieval": round(elapsed, 2)},
                           passages=passages)

    def describe(self) -> dict[str, Any]:
        """The search depth."""
        return {"system": "retrieval", "k": self.k}
