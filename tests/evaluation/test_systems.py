"""The systems under test seen through the public API: the answer pipeline and retrieval alone."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
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


def _article(article_id: str, body: str, samples: Sequence[str] = ()) -> SimpleNamespace:
    slots = tuple(SimpleNamespace(name=f"s{n}", sample=v) for n, v in enumerate(samples))
    return SimpleNamespace(id=article_id, lang="en", title=f"title {article_id}", summary=f"summary {article_id}",
                           body=body, fix=SimpleNamespace(slots=slots) if slots else None)


_ARTICLES = {("a", "en"): _article("a", "User arn:aws:iam::123456789012:user/alice-admin is denied.",
                                   ["amzn-s3-demo-bucket"]),
             ("b", "en"): _article("b", "Role arn:aws:iam::111122223333:role/ci-deploy."),
             ("c", "en"): _article("c", "")}


class _Assistant:
    def __init__(self, document: dict[str, Any], llm: object = None) -> None:
        self.document, self.asked, self.llm, self.articles = document, [], llm, _ARTICLES

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


def test_the_pipeline_ranks_by_the_search_and_passes_history_and_mode() -> None:
    document = answer("ok", cited=["a"]) | {"retrieved": [{"id": "b"}, {"id": "a"}, {"id": "c"}]}
    assistant = _Assistant(document)
    system = AssistantSystem(assistant, "deterministic")
    q = question()
    q = type(q)(q.id, q.lang, "それでもダメでした", q.expected_article, (), (), (("user", "MFA が登録できない"),))
    observation = system(q)
    assert assistant.asked == [("それでもダメでした", (("user", "MFA が登録できない"),), "deterministic")]
    # the search ranking, not the citations, is what retrieval is scored on
    assert observation.ranking == ("b", "a", "c") == observation.retrieved
    assert [p["id"] for p in observation.passages] == ["b", "a", "c"]
    assert observation.passages[0] == {"id": "b", "title": "title b", "text": "summary b"}
    assert observation.timings_ms == document["timings_ms"]
    assert system.describe()["status"] == {"mode": "deterministic", "model": None}
    without = AssistantSystem(_Assistant(answer("ok") | {"retrieved": None}), "llm")(question())
    assert without.retrieved is None and without.ranking is None  # not reported: not measured


def test_sample_names_come_from_the_cited_articles_body_and_slots() -> None:
    observation = AssistantSystem(_Assistant(answer("ok", cited=["a"])), "deterministic")(question())
    assert observation.samples == {"123456789012", "alice-admin", "amzn-s3-demo-bucket"}


def test_an_llm_run_expects_the_model_and_names_each_fallback() -> None:
    notice = "LLM unavailable (the model request timed out); showing the deterministic answer"
    fell_back = _Assistant(answer("ok", cited=["a"], notices=[notice]), llm=object())
    observation = AssistantSystem(fell_back, "auto")(question())
    assert observation.llm_expected and observation.fallback == notice
    written = AssistantSystem(_Assistant(answer("ok", cited=["a"], mode="llm"), llm=object()), "llm")(question())
    assert written.llm_expected and written.fallback is None
    refusal = AssistantSystem(_Assistant(answer("no", in_scope=False), llm=object()), "llm")(question())
    assert not refusal.llm_expected and refusal.fallback is None  # out of scope is never the model's to write
    deterministic = AssistantSystem(_Assistant(answer("ok", cited=["a"])), "auto")(question())  # no model
    assert not deterministic.llm_expected
