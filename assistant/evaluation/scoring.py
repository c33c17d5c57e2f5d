"""Deterministic scoring of one answer against its question: no model, so CI can gate on it.

``score_question`` turns what came back (an ``Observation``) into per-question values and pass/fail
checks; ``summary.aggregate`` averages them. A value is ``None`` when it does not apply (no key facts,
no policies, an out-of-scope question has no rank).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.evaluation.dataset import EvalQuestion
from assistant.retrieval.metrics import hit_at, mrr, ndcg_at

__all__ = ["CHECKS", "OVER_PERMISSIVE_CODES", "STAGES", "Observation", "answer_language", "fact_present",
           "failed_checks", "passed", "ranking_of", "score_question", "stage_values"]

STAGES = ("analysis", "retrieval", "generation", "guard")
CHECKS = ("retrieval", "citations", "scope", "diagnoses", "policies", "key_facts", "language")
# The over-permissive findings a suggested policy must never carry (SECURITY_WARNING in check --json).
OVER_PERMISSIVE_CODES = frozenset({"ALLOW_ALL", "PASS_ROLE_WITH_STAR"})
_SHOWN_SOURCES = ("answer", "suggested")
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_URL = re.compile(r"https?://\S+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_LATIN = re.compile(r"[A-Za-z]")
_JA_MIN_SHARE = 0.05  # share of CJK among letters from which an answer reads as Japanese
_JA_MIN_CHARS = 2


@dataclass(frozen=True)
class Observation:
    """What the system under test returned for one question.

    ``answer`` is the ``ask --json`` document (None in retrieval-only mode); ``ranking`` the article
    ids used for hit@k / MRR / nDCG, best first; ``retrieved`` the ids the answer could cite (None
    when unknown); ``in_scope`` the system's scope decision.
    """

    answer: Mapping[str, Any] | None
    ranking: tuple[str, ...]
    retrieved: tuple[str, ...] | None
    in_scope: bool | None
    timings_ms: Mapping[str, float] = field(default_factory=dict)


def _normalize(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).casefold()


def fact_present(fact: str, answer: str) -> bool:
    """A ``re:`` pattern is searched as written; a term matches case-insensitively after NFKC."""
    if fact.startswith("re:"):
        return re.search(fact[3:], answer) is not None
    return _normalize(fact) in _normalize(answer)


def answer_language(answer: str) -> str | None:
    """``ja`` or ``en`` for the prose of an answer (code, URLs set aside); None when it has no letters."""
    prose = _URL.sub(" ", _INLINE_CODE.sub(" ", _FENCE.sub(" ", answer)))
    cjk = len(_CJK.findall(prose))
    latin = len(_LATIN.findall(prose))
    if cjk + latin == 0:
        return None
    return "ja" if cjk >= _JA_MIN_CHARS and cjk / (cjk + latin) >= _JA_MIN_SHARE else "en"


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


def score_question(question: EvalQuestion, observation: Observation) -> dict[str, Any]:
    """Per-question values and checks (each True, False or None when not applicable)."""
    ranking = list(observation.ranking)
    expected = question.expected_article
    retrieval = None if expected is None else {
        "rank": ranking.index(expected) + 1 if expected in ranking else None,
        "hit_at_1": hit_at(ranking, expected, 1), "hit_at_3": hit_at(ranking, expected, 3),
        "mrr": mrr(ranking, expected), "ndcg_at_10": ndcg_at(ranking, expected, 10)}
    scope = {"expected_in_scope": question.in_scope, "predicted_in_scope": observation.in_scope}
    scores: dict[str, Any] = {"retrieval": retrieval, "scope": scope, "citations": None, "diagnoses": None,
                              "policies": None, "key_facts": None, "language": None}
    checks: dict[str, bool | None] = {name: None for name in CHECKS}
    checks["retrieval"] = None if retrieval is None else retrieval["hit_at_1"] == 1.0
    checks["scope"] = None if observation.in_scope is None else observation.in_scope == question.in_scope
    answer = observation.answer
    if answer is not None:
        text = str(answer.get("answer") or "")
        citations = scores["citations"] = _citations(question, answer, observation)
        diagnoses = scores["diagnoses"] = _diagnoses(question, answer)
        policies = scores["policies"] = _policies(answer)
        facts = scores["key_facts"] = _key_facts(question, text)
        detected = answer_language(text)
        scores["language"] = {"expected": question.lang, "detected": detected, "declared": answer.get("lang"),
                              "match": detected == question.lang}
        right_cites = citations["recall"] == 1.0 if expected else not citations["cited"]
        checks["citations"] = right_cites and citations["within_retrieved"] is not False
        checks["diagnoses"] = None if diagnoses is None else diagnoses["matched"] == diagnoses["expected"]
        checks["policies"] = None if policies is None else (
            policies["all_valid"] and policies["fixes_verified"] == policies["fixes"]
            and not policies["over_permissive"])
        checks["key_facts"] = None if facts is None else not facts["missing"]
        checks["language"] = scores["language"]["match"]
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
