"""Hand-made fixtures for the evaluation tests: questions, answer documents, records and a fake system."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.evaluation.dataset import EvalQuestion, ExpectedDiagnosis
from assistant.evaluation.scoring import Observation, score_question


def question(qid: str = "q1", *, lang: str = "en", article: str | None = "a", facts: Sequence[str] = (),
             diagnoses: Sequence[ExpectedDiagnosis] = (), text: str = "why is this denied?") -> EvalQuestion:
    """One dataset question."""
    return EvalQuestion(qid, lang, text, article, tuple(facts), tuple(diagnoses))


def answer(text: str = "Check the policy.", *, cited: Sequence[str] = (), in_scope: bool = True,
           diagnoses: Sequence[Mapping[str, Any]] = (), policies: Sequence[Mapping[str, Any]] = (),
           lang: str = "en", timings: Mapping[str, float] | None = None) -> dict[str, Any]:
    """An ``ask --json`` document."""
    return {"answer": text, "lang": lang, "mode": "deterministic", "in_scope": in_scope,
            "citations": [{"id": c, "lang": lang, "title": c} for c in cited], "diagnoses": list(diagnoses),
            "policies": list(policies), "notices": [],
            "timings_ms": dict(timings or {"analysis": 1.0, "retrieval": 2.0, "generation": 3.0, "guard": 0.0})}


def observe(document: Mapping[str, Any] | None, *, ranking: Sequence[str] | None = None,
            retrieved: Sequence[str] | None = None, in_scope: bool | None = None) -> Observation:
    """An observation of an answer (ranking defaults to the citation order)."""
    cited = [c["id"] for c in (document or {}).get("citations", [])]
    scope = in_scope if in_scope is not None else (document or {}).get("in_scope")
    return Observation(document, tuple(cited if ranking is None else ranking),
                       None if retrieved is None else tuple(retrieved), scope,
                       (document or {}).get("timings_ms", {}))


def record(q: EvalQuestion, observation: Observation, *, total_ms: float = 10.0,
           error: str | None = None) -> dict[str, Any]:
    """A results record as the runner stores it."""
    scored = score_question(q, observation)
    return {**q.to_json(), "ranking": list(observation.ranking),
            "retrieved": None if observation.retrieved is None else list(observation.retrieved),
            "in_scope": observation.in_scope, "answer": observation.answer, "scores": scored["scores"],
            "checks": scored["checks"], "timings_ms": {**scored["timings_ms"], "total": total_ms}, "judge": None,
            "error": error}


class FakeSystem:
    """A system under test driven by a function; counts calls and the most calls at once."""

    answers = True

    def __init__(self, respond: Callable[[EvalQuestion], Mapping[str, Any]], delay: float = 0.0) -> None:
        self.respond = respond
        self.delay = delay
        self.calls: list[str] = []
        self.active = 0
        self.most_active = 0
        self._lock = threading.Lock()

    def __call__(self, q: EvalQuestion) -> Observation:
        with self._lock:
            self.calls.append(q.id)
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            if self.delay:
                time.sleep(self.delay)
            return observe(self.respond(q))
        finally:
            with self._lock:
                self.active -= 1

    def describe(self) -> dict[str, Any]:
        return {"system": "fake"}


def write_dataset(path: Path, questions: Sequence[EvalQuestion]) -> Path:
    """A JSON Lines dataset file."""
    import json

    path.write_text("".join(json.dumps(q.to_json(), ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    return path
