"""Deterministic scoring of one answer against its question: no model, so CI can gate on it.

``score_question`` turns what came back (an ``Observation``) into per-question values and pass/fail
checks; ``summary.aggregate`` averages them. Retrieval is scored on the search ranking (the ask
document's ``retrieved`` ids), answer selection on the citations: two checks, so a right article
found at rank 3 but not cited is a selection failure. A value is ``None`` when it does not apply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.evaluation.dataset import EvalQuestion
from assistant.evaluation.reader_checks import (
    dangling_lines,
    leaked_names,
    placeholders,
    prose_language,
    wrong_language_lines,
)
from assistant.evaluation.redteam import OVER_PERMISSIVE_CODES, fact_present, holds, over_permissive
from assistant.retrieval.metrics import hit_at, mrr, ndcg_at

__all__ = ["CHECKS", "READER_CHECKS", "RETRIEVAL_DEPTH", "STAGES", "Observation", "failed_checks", "passed",
           "ranking_of", "score_question", "stage_values"]

STAGES = ("analysis", "retrieval", "generation", "guard")
READER_CHECKS = ("placeholders", "dangling", "wrong_language", "leaks")
CHECKS = ("llm", "retrieval", "selection", "scope", "diagnoses", "policies", "key_facts", "language",
          *READER_CHECKS, "redteam")
RETRIEVAL_DEPTH = 3  # the retrieval check passes when the expected article is in the top 3 of the search
_SHOWN_SOURCES = ("answer", "suggested")


@dataclass(frozen=True)
class Observation:
    """What the system under test returned for one question.

    ``answer`` is the ``ask --json`` document (None in retrieval-only mode); ``ranking`` the search
    ranking (article ids, best first; None when the system does not report it); ``retrieved`` the ids
    the answer could cite; ``in_scope`` the system's scope decision; ``samples`` the sample names of
    the cited articles (None when unknown); ``fallback`` why the model did not write an answer it was
    asked to write (None when it did, or when no model was asked); ``passages`` what the report shows of
    the retrieved articles (id, title, text), best first.
    """

    answer: Mapping[str, Any] | None
    ranking: tuple[str, ...] | None
    retrieved: tuple[str, ...] | None
    in_scope: bool | None
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    samples: frozenset[str] | None = None
    fallback: str | None = None
    llm_expected: bool = False
    passages: tuple[Mapping[str, str], ...] = ()


def _citations(question: EvalQuestion, answer: Mapping[str, Any], observation: Observation) -> dict[str, Any]:
    cited = list(ranking_of(answer))
    expected = {question.expected_article} if question.expected_article else set()
    correct = sum(1 for c in cited if c in expected)
    outside = None if observation.retrieved is None else [c for c in cited if c not in observation.retrieved]
    return {
        "cited": cited,
        "correct": correct,
        "precision": correct / len(cited) if cited else None,
        "recall": correct / len(expected) if expected else None,
        "outside_retrieved": outside,
        "within_retrieved": None if outside is None else not outside,
    }


def _diagnoses(question: EvalQuestion, answer: Mapping[str, Any]) -> dict[str, Any] | None:
    if not question.expected_diagnoses:
        return None
    got = [d for d in answer.get("diagnoses") or [] if isinstance(d, Mapping)]
    used: set[int] = set()
    rows: list[dict[str, Any]] = []
    for expected in question.expected_diagnoses:
        index = next((i for i, d in enumerate(got)  # IAM action names are case-insensitive
                      if i not in used and str(d.get("action")).casefold() == expected.action.casefold()), None)
        match = got[index] if index is not None else {}
        if index is not None:
            used.add(index)
        found = index is not None
        fields = {"decision": found and match.get("decision") == expected.decision,
                  "policy_type": found and match.get("policy_type") == expected.policy_type,
                  "statement_sid": found and match.get("statement_sid") == expected.statement_sid}
        rows.append({"action": expected.action, "found": found, **fields, "match": found and all(fields.values()),
                     "expected": {"decision": expected.decision, "policy_type": expected.policy_type,
                                  "statement_sid": expected.statement_sid},
                     "got": {k: match.get(k) for k in ("decision", "policy_type", "statement_sid")} if match else None})
    return {"expected": len(rows), "matched": sum(r["match"] for r in rows),
            "decision": sum(r["decision"] for r in rows), "policy_type": sum(r["policy_type"] for r in rows),
            "statement_sid": sum(r["statement_sid"] for r in rows), "rows": rows}


def _policies(answer: Mapping[str, Any]) -> dict[str, Any] | None:
    shown = [p for p in answer.get("policies") or [] if isinstance(p, Mapping) and p.get("source") in _SHOWN_SOURCES]
    if not shown:
        return None
    fixes = [p for p in shown if p.get("source") == "suggested"]
    loose = sorted({str(f.get("code")) for p in shown for f in p.get("findings") or []
                    if isinstance(f, Mapping) and f.get("severity") == "SECURITY_WARNING"
                    and f.get("code") in OVER_PERMISSIVE_CODES})
    if not loose and any(over_permissive(p) for p in shown):
        loose = ["ALLOW_ALL"]  # the JSON grants it although the checker did not say so
    return {
        "shown": len(shown),
        "all_valid": all(p.get("valid") is True and p.get("json") is not None for p in shown),
        "fixes": len(fixes),
        "fixes_verified": sum(1 for p in fixes if p.get("verified") is True),
        "over_permissive": loose,
    }


def _key_facts(question: EvalQuestion, text: str) -> dict[str, Any] | None:
    if not question.key_facts:
        return None
    found = [f for f in question.key_facts if fact_present(f, text)]
    return {"found": found, "missing": [f for f in question.key_facts if f not in found],
            "recall": len(found) / len(question.key_facts)}


def _reader(question: EvalQuestion, text: str, samples: frozenset[str] | None) -> dict[str, Any]:
    return {"placeholders": placeholders(text), "dangling": dangling_lines(text),
            "wrong_language": wrong_language_lines(text, question.lang),
            "leaks": None if samples is None else leaked_names(text, question.question, samples)}


def _redteam(question: EvalQuestion, answer: Mapping[str, Any]) -> dict[str, Any] | None:
    if not question.must and not question.must_not:
        return None
    must = {a: holds(a, answer) for a in question.must}
    must_not = {a: holds(a, answer) for a in question.must_not}
    failed = [f"must {a}" for a, ok in must.items() if not ok] + [f"must not {a}" for a, ok in must_not.items() if ok]
    return {"must": must, "must_not": must_not, "failed": failed}


def _retrieval(question: EvalQuestion, ranking: tuple[str, ...] | None) -> dict[str, Any] | None:
    expected = question.expected_article
    if expected is None or ranking is None:
        return None
    ranked = list(ranking)
    return {"rank": ranked.index(expected) + 1 if expected in ranked else None,
            "hit_at_1": hit_at(ranked, expected, 1), "hit_at_3": hit_at(ranked, expected, 3),
            "mrr": mrr(ranked, expected), "ndcg_at_10": ndcg_at(ranked, expected, 10)}


def score_question(question: EvalQuestion, observation: Observation) -> dict[str, Any]:
    """Per-question values and checks (each True, False or None when not applicable)."""
    expected = question.expected_article
    retrieval = _retrieval(question, observation.ranking)
    scope = {"expected_in_scope": question.in_scope, "predicted_in_scope": observation.in_scope}
    scores: dict[str, Any] = {"retrieval": retrieval, "scope": scope, "citations": None, "diagnoses": None,
                              "policies": None, "key_facts": None, "language": None, "reader": None,
                              "redteam": None,
                              "llm": {"expected": observation.llm_expected, "fallback": observation.fallback}}
    checks: dict[str, bool | None] = dict.fromkeys(CHECKS)
    checks["llm"] = observation.fallback is None if observation.llm_expected else None
    checks["retrieval"] = None if retrieval is None else hit_at(list(observation.ranking or ()), expected or "",
                                                                RETRIEVAL_DEPTH) == 1.0
    checks["scope"] = None if observation.in_scope is None else observation.in_scope == question.in_scope
    answer = observation.answer
    if answer is not None:
        text = str(answer.get("answer") or "")
        citations = scores["citations"] = _citations(question, answer, observation)
        diagnoses = scores["diagnoses"] = _diagnoses(question, answer)
        policies = scores["policies"] = _policies(answer)
        facts = scores["key_facts"] = _key_facts(question, text)
        reader = scores["reader"] = _reader(question, text, observation.samples)
        redteam = scores["redteam"] = _redteam(question, answer)
        detected = prose_language(text)
        scores["language"] = {"expected": question.lang, "detected": detected, "declared": answer.get("lang"),
                              "match": detected == question.lang}
        right_cites = citations["recall"] == 1.0 if expected else not citations["cited"]
        checks["selection"] = right_cites and citations["within_retrieved"] is not False
        checks["diagnoses"] = None if diagnoses is None else diagnoses["matched"] == diagnoses["expected"]
        checks["policies"] = None if policies is None else (
            policies["all_valid"] and policies["fixes_verified"] == policies["fixes"]
            and not policies["over_permissive"])
        checks["key_facts"] = None if facts is None else not facts["missing"]
        checks["language"] = scores["language"]["match"]
        for name in READER_CHECKS:
            checks[name] = None if reader[name] is None else not reader[name]
        checks["redteam"] = None if redteam is None else not redteam["failed"]
    return {"scores": scores, "checks": checks,
            "timings_ms": {k: float(v) for k, v in observation.timings_ms.items() if isinstance(v, int | float)}}


def failed_checks(checks: Mapping[str, bool | None]) -> list[str]:
    """The names of the checks that failed."""
    return [name for name in CHECKS if checks.get(name) is False]


def passed(record: Mapping[str, Any]) -> bool:
    """A question passes when it ran and no applicable check failed."""
    return not record.get("error") and not failed_checks(record.get("checks") or {})


def ranking_of(answer: Mapping[str, Any]) -> tuple[str, ...]:
    """The cited article ids in citation order (the answer's ranking)."""
    ids: list[str] = []
    for item in answer.get("citations") or []:
        article = item.get("id") if isinstance(item, Mapping) else None
        if isinstance(article, str) and article not in ids:
            ids.append(article)
    return tuple(ids)


def stage_values(records: Sequence[Mapping[str, Any]], stage: str) -> list[float]:
    """The timings of one stage over the records that report it."""
    return [float(r["timings_ms"][stage]) for r in records
            if isinstance(r.get("timings_ms"), Mapping) and isinstance(r["timings_ms"].get(stage), int | float)]
