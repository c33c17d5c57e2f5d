"""The systems under test seen through the public API: the answer pipeline and retrieval alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalfix import answer, question

from assistant.evaluation import AssistantSystem, RetrievalSystem
from assistant.retrieval import Hit, SearchResult


class _Retriever:
    def __init__(self, ids: Sequence[str], in_scope: bool) -> None:
        self.ids, self.in_scope, self.asked = ids, in_scope, []

    def search(self, query: str, k: int = 5) -> SearchResult:
        self.asked.append((query, k))
        return SearchResult(query, self.in_scope, tuple(Hit(i, "en", i, "Problem", 1.0, "") for i in self.ids[:k]))


class _Answer:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def to_json(self) -> dict[str, Any]:
        return self.document


class _Assistant:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document, self.asked = document, []

    def ask(self, text: str, history: Sequence[Any] = (), mode: str = "auto") -> _Answer:
        self.asked.append((text, tuple((t.role, t.content) for t in history), mode))
        return _Answer(self.document)

    def status(self) -> dict[str, Any]:
        return {"mode": "deterministic", "model": None}


def test_retrieval_ranks_the_search_results() -> None:
    retriever = _Retriever(["b", "a", "c"], in_scope=True)
    system = RetrievalSystem(retriever, k=10)
    observation = system(question(text="PassRole denied"))
    assert retriever.asked == [("PassRole denied", 10)]
    assert observation.ranking == ("b", "a", "c") == observation.retrieved
    assert observation.answer is None and observation.in_scope is True
    assert set(observation.timings_ms) == {"retrieval"}
    assert system.describe() == {"system": "retrieval", "k": 10}


def test_the_pipeline_ranks_by_citations_and_passes_history_and_mode() -> None:
    document = answer("ok", cited=["a", "b"]) | {"retrieved": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}
    assistant = _Assistant(document)
    system = AssistantSystem(assistant, "deterministic")
    q = question()
    q = type(q)(q.id, q.lang, "それでもダメでした", q.expected_article, (), (), (("user", "MFA が登録できない"),))
    observation = system(q)
    assert assistant.asked == [("それでもダメでした", (("user", "MFA が登録できない"),), "deterministic")]
    assert observation.ranking == ("a", "b") and observation.retrieved == ("a", "b", "c")
    assert observation.timings_ms == document["timings_ms"]
    assert system.describe()["status"] == {"mode": "deterministic", "model": None}
    assert AssistantSystem(_Assistant(answer("ok")), "llm")(question()).retrieved is None  # not reported
