"""Aggregating per-question results into the run summary: every metric, per language and per article.

Metric names are flat dotted keys (``retrieval.hit_at_1``); ``METRICS`` says which way is better,
which the thresholds, ``compare`` and the reports all read. Every metric comes with the number of
questions (or items) it is measured on; a metric with nothing to measure is None ("not measured"),
never a vacuous 1.0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.evaluation.scoring import CHECKS, STAGES, failed_checks, passed, stage_values
from assistant.retrieval.metrics import percentile, score_rankings

__all__ = ["ARTICLE_METRICS", "METRICS", "OUT_OF_SCOPE", "MetricInfo", "aggregate", "judge_eligible",
           "metric_values"]

OUT_OF_SCOPE = "(out of scope)"


@dataclass(frozen=True)
class MetricInfo:
    """How to read a metric: its label, whether higher is better, and its unit."""

    label: str
    higher_is_better: bool = True
    unit: str = "ratio"  # ratio (0..1), ms, usd, count


def _latency() -> dict[str, MetricInfo]:
    return {f"latency.{stage}.{q}_ms": MetricInfo(f"{stage} {q}", False, "ms")
            for stage in (*STAGES, "total") for q in ("p50", "p95")}


METRICS: dict[str, MetricInfo] = {
    "retrieval.hit_at_1": MetricInfo("hit@1"),
    "retrieval.hit_at_3": MetricInfo("hit@3"),
    "retrieval.mrr": MetricInfo("MRR"),
    "retrieval.ndcg_at_10": MetricInfo("nDCG@10"),
    "citations.precision": MetricInfo("answer selection: citation precision"),
    "citations.recall": MetricInfo("answer selection: citation recall"),
    "citations.within_retrieved": MetricInfo("citations within the retrieved set"),
    "scope.precision": MetricInfo("out-of-scope precision"),
    "scope.recall": MetricInfo("out-of-scope recall"),
    "diagnoses.match": MetricInfo("diagnoses matched"),
    "diagnoses.decision": MetricInfo("diagnosis decision"),
    "diagnoses.policy_type": MetricInfo("diagnosis policy type"),
    "diagnoses.statement_sid": MetricInfo("diagnosis statement"),
    "policies.valid": MetricInfo("answers with every policy valid"),
    "policies.fixes_verified": MetricInfo("fixes verified"),
    "policies.not_over_permissive": MetricInfo("answers without over-permissive policy"),
    "key_facts.recall": MetricInfo("key facts found"),
    "key_facts.complete": MetricInfo("answers with every key fact"),
    "language.match": MetricInfo("answers in the question's language"),
    "reader.no_placeholders": MetricInfo("answers without placeholders"),
    "reader.no_dangling": MetricInfo("answers that never stop mid-thought"),
    "reader.one_language": MetricInfo("answers without prose in the other language"),
    "reader.no_leaks": MetricInfo("answers without the article's sample names"),
    "redteam.passed": MetricInfo("red-team questions handled safely"),
    "questions.passed": MetricInfo("questions passing every check"),
    "run.error_rate": MetricInfo("questions that raised", False),
    "llm.fallback_rate": MetricInfo("LLM run: answers the model did not write", False),
    **_latency(),
    "judge.coverage": MetricInfo("judge: answers graded"),
    "judge.errors": MetricInfo("judge: answers not graded (failed or stopped)", False, "count"),
    "judge.faithfulness": MetricInfo("judge: faithfulness (supported claims)"),
    "judge.relevance": MetricInfo("judge: relevance"),
    "judge.cost_usd": MetricInfo("judge: cost", False, "usd"),
}
ARTICLE_METRICS = ("retrieval.hit_at_3", "citations.recall", "key_facts.recall", "language.match",
                   "questions.passed")
# The metric of each reader-visible check (scoring.READER_CHECKS).
_READER = {"placeholders": "reader.no_placeholders", "dangling": "reader.no_dangling",
           "wrong_language": "reader.one_language", "leaks": "reader.no_leaks"}


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _share(flags: Sequence[bool]) -> float | None:
    return sum(1 for f in flags if f) / len(flags) if flags else None


def _scores(records: Sequence[Mapping[str, Any]], part: str) -> list[Mapping[str, Any]]:
    return [r["scores"][part] for r in records if (r.get("scores") or {}).get(part) is not None]


def judge_eligible(record: Mapping[str, Any]) -> bool:
    """A question the judge must grade when the run has one: it was answered, with text."""
    answer = record.get("answer")
    return (not record.get("error") and isinstance(answer, Mapping)
            and bool(str(answer.get("answer") or "").strip()))


def metric_values(records: Sequence[Mapping[str, Any]], judged: bool = False,
                  ) -> tuple[dict[str, float | None], dict[str, int]]:
    """Every metric over ``records`` and the number of questions each one is measured on; ``judged``
    when the run had a judge (every answered question then counts for its coverage)."""
    values: dict[str, float | None] = dict.fromkeys(METRICS)
    counts: dict[str, int] = dict.fromkeys(METRICS, 0)

    def put(name: str, value: float | None, n: int) -> None:
        values[name], counts[name] = value, n

    ranked = [r for r in records if (r.get("scores") or {}).get("retrieval") is not None]
    if ranked:
        rankings = score_rankings([r["ranking"] for r in ranked], [r["expected_article"] for r in ranked])
        for name, value in (("hit_at_1", rankings.hit1), ("hit_at_3", rankings.hit3), ("mrr", rankings.mrr),
                            ("ndcg_at_10", rankings.ndcg10)):
            put(f"retrieval.{name}", value, rankings.n)

    citations = _scores(records, "citations")
    cited = sum(len(c["cited"]) for c in citations)
    correct = sum(c["correct"] for c in citations)
    expected = sum(1 for r in records if r.get("expected_article") and (r.get("scores") or {}).get("citations"))
    put("citations.precision", correct / cited if cited else None, len(citations))
    put("citations.recall", correct / expected if expected else None, expected)
    within = [c["within_retrieved"] for c in citations if c["within_retrieved"] is not None]
    put("citations.within_retrieved", _share(within), len(within))

    # Scope is scored as detecting "out of scope": precision over the refusals made, recall over the
    # questions that needed one; with none of either there is nothing to measure.
    scopes = [s for s in _scores(records, "scope") if s["predicted_in_scope"] is not None]
    refused = [s for s in scopes if not s["predicted_in_scope"]]
    needed = [s for s in scopes if not s["expected_in_scope"]]
    put("scope.precision", _share([not s["expected_in_scope"] for s in refused]), len(refused))
    put("scope.recall", _share([not s["predicted_in_scope"] for s in needed]), len(needed))

    diagnoses = _scores(records, "diagnoses")
    total = sum(d["expected"] for d in diagnoses)
    for name in ("match", "decision", "policy_type", "statement_sid"):
        key = "matched" if name == "match" else name
        put(f"diagnoses.{name}", sum(d[key] for d in diagnoses) / total if total else None, total)

    policies = _scores(records, "policies")
    put("policies.valid", _share([p["all_valid"] for p in policies]), len(policies))
    fixes = sum(p["fixes"] for p in policies)
    put("policies.fixes_verified", sum(p["fixes_verified"] for p in policies) / fixes if fixes else None, fixes)
    put("policies.not_over_permissive", _share([not p["over_permissive"] for p in policies]), len(policies))

    facts = _scores(records, "key_facts")
    put("key_facts.recall", _mean([f["recall"] for f in facts]), len(facts))
    put("key_facts.complete", _share([not f["missing"] for f in facts]), len(facts))
    languages = _scores(records, "language")
    put("language.match", _share([bool(x["match"]) for x in languages]), len(languages))

    for check, metric in _READER.items():
        flags = [r["checks"][check] for r in records if (r.get("checks") or {}).get(check) is not None]
        put(metric, _share(flags), len(flags))
    redteam = [r["checks"]["redteam"] for r in records if (r.get("checks") or {}).get("redteam") is not None]
    put("redteam.passed", _share(redteam), len(redteam))

    put("questions.passed", _share([passed(r) for r in records]), len(records))
    put("run.error_rate", _share([bool(r.get("error")) for r in records]), len(records))
    expected_llm = [s for s in _scores(records, "llm") if s.get("expected")]
    put("llm.fallback_rate", _share([bool(s.get("fallback")) for s in expected_llm]), len(expected_llm))
    for stage in (*STAGES, "total"):
        timings = stage_values(records, stage)
        for q in (50, 95):
            put(f"latency.{stage}.p{q}_ms", round(percentile(timings, q), 1) if timings else None, len(timings))

    eligible = [r for r in records if judge_eligible(r)] if judged else []
    verdicts = [r["judge"] for r in eligible if isinstance(r.get("judge"), Mapping) and not r["judge"].get("error")]
    if judged:  # a run without a judge measures none of the judge's metrics
        put("judge.coverage", len(verdicts) / len(eligible) if eligible else None, len(eligible))
        put("judge.errors", float(len(eligible) - len(verdicts)), len(eligible))
    for name in ("faithfulness", "relevance"):
        scored = [j[name] for j in verdicts if isinstance(j.get(name), int | float)]
        put(f"judge.{name}", _mean(scored), len(scored))
    costs = [j["cost_usd"] for j in verdicts if isinstance(j.get("cost_usd"), int | float)]
    put("judge.cost_usd", round(sum(costs), 6) if costs else None, len(costs))
    return values, counts


def _failing(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], "lang": record.get("lang"), "expected_article": record.get("expected_article"),
            "failed": (["error"] if record.get("error") else []) + failed_checks(record.get("checks") or {})}


def aggregate(records: Sequence[Mapping[str, Any]], judged: bool = False) -> dict[str, Any]:
    """The summary of a run's results: metrics, counts, per language, per article and the failing ids."""
    values, counts = metric_values(records, judged)
    by_lang: dict[str, Any] = {}
    for lang in sorted({str(r.get("lang")) for r in records}):
        subset = [r for r in records if r.get("lang") == lang]
        lang_values, lang_counts = metric_values(subset, judged)
        by_lang[lang] = {"n": len(subset), "metrics": lang_values, "counts": lang_counts}
    by_article: dict[str, Any] = {}
    for article in sorted({r.get("expected_article") or OUT_OF_SCOPE for r in records}):
        subset = [r for r in records if (r.get("expected_article") or OUT_OF_SCOPE) == article]
        article_values, _ = metric_values(subset, judged)
        by_article[article] = {"n": len(subset), "passed": sum(1 for r in subset if passed(r)),
                               "metrics": {k: article_values[k] for k in ARTICLE_METRICS}}
    checks = {name: {"passed": sum(1 for r in records if (r.get("checks") or {}).get(name) is True),
                     "failed": sum(1 for r in records if (r.get("checks") or {}).get(name) is False)}
              for name in CHECKS}
    return {"questions": len(records), "passed": sum(1 for r in records if passed(r)),
            "errors": sum(1 for r in records if r.get("error")), "metrics": values, "counts": counts,
            "checks": checks, "by_lang": by_lang, "by_article": by_article,
            "failing": [_failing(r) for r in records if not passed(r)]}
