"""Comparing two stored runs: per-metric deltas, questions that regressed or improved, a CI verdict.

A gated metric (one with a minimum or maximum in the thresholds) regresses when it got worse by more
than its tolerance, or stopped being measured; any regression makes the comparison fail (exit 1).
When the runs hold different questions the metrics of both are recomputed on the questions they
share, so a dataset that grew does not read as a regression. Rates carry a 95% Wilson interval, so a
reader sees how much a delta on a small n means; runs of different modes or judges are compared
with a warning.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.evaluation.runs import load_results, load_summary, resolve_run
from assistant.evaluation.scoring import CHECKS
from assistant.evaluation.summary import METRICS, aggregate
from assistant.evaluation.thresholds import Thresholds

__all__ = ["Comparison", "MetricDelta", "QuestionChange", "compare_runs", "wilson_interval"]

_Z95 = 1.959964
# Ratios that are means of per-question scores (or shares of something other than their n), not
# proportions of questions: a Wilson interval would not describe them.
_MEANS = frozenset({"retrieval.mrr", "retrieval.ndcg_at_10", "key_facts.recall", "citations.precision",
                    "judge.faithfulness", "judge.relevance"})


def wilson_interval(rate: float, n: int, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion observed as ``rate`` over ``n`` trials."""
    if n <= 0:
        return 0.0, 1.0
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class MetricDelta:
    """One metric in both runs; ``delta`` is B − A."""

    metric: str
    a: float | None
    b: float | None
    delta: float | None
    gated: bool
    tolerance: float | None
    regressed: bool
    improved: bool
    n_a: int = 0
    n_b: int = 0

    def interval(self, side: str) -> tuple[float, float] | None:
        """The 95% interval of a rate in run ``a`` or ``b`` (None for other units or unmeasured)."""
        value, n = (self.a, self.n_a) if side == "a" else (self.b, self.n_b)
        if value is None or METRICS[self.metric].unit != "ratio" or self.metric in _MEANS or not n:
            return None
        return wilson_interval(value, n)

    def to_json(self) -> dict[str, Any]:
        """The delta as JSON."""
        return {"metric": self.metric, "a": self.a, "b": self.b, "delta": self.delta, "gated": self.gated,
                "tolerance": self.tolerance, "regressed": self.regressed, "improved": self.improved,
                "n_a": self.n_a, "n_b": self.n_b, "ci95_a": self.interval("a"), "ci95_b": self.interval("b")}


@dataclass(frozen=True)
class QuestionChange:
    """A question whose checks changed between the runs."""

    id: str
    lang: str | None
    lost: tuple[str, ...]  # checks (or "error") that passed in A and fail in B
    gained: tuple[str, ...]  # checks that failed in A and pass in B

    def to_json(self) -> dict[str, Any]:
        """The change as JSON."""
        return {"id": self.id, "lang": self.lang, "lost": list(self.lost), "gained": list(self.gained)}


@dataclass(frozen=True)
class Comparison:
    """Run B against run A."""

    run_a: str
    run_b: str
    same_dataset: bool
    deltas: tuple[MetricDelta, ...]
    regressed: tuple[QuestionChange, ...]
    improved: tuple[QuestionChange, ...]
    only_in_a: tuple[str, ...]
    only_in_b: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    records_a: tuple[Mapping[str, Any], ...] = ()  # for the run-vs-run report
    records_b: tuple[Mapping[str, Any], ...] = ()

    @property
    def gate_failures(self) -> tuple[MetricDelta, ...]:
        """The gated metrics that regressed beyond their tolerance."""
        return tuple(d for d in self.deltas if d.gated and d.regressed)

    @property
    def ok(self) -> bool:
        """True when no gated metric regressed beyond its tolerance."""
        return not self.gate_failures

    def to_json(self) -> dict[str, Any]:
        """The comparison as one JSON document."""
        return {"run_a": self.run_a, "run_b": self.run_b, "ok": self.ok, "same_dataset": self.same_dataset,
                "warnings": list(self.warnings),
                "gate_failures": [d.metric for d in self.gate_failures],
                "metrics": [d.to_json() for d in self.deltas],
                "regressed_questions": [q.to_json() for q in self.regressed],
                "improved_questions": [q.to_json() for q in self.improved],
                "only_in_a": list(self.only_in_a), "only_in_b": list(self.only_in_b)}


def _delta(metric: str, a: float | None, b: float | None, thresholds: Thresholds, n: tuple[int, int],
           ) -> MetricDelta:
    gated = metric in thresholds.minimum or metric in thresholds.maximum
    tolerance = thresholds.tolerance_of(metric) if gated else None
    higher = METRICS[metric].higher_is_better
    if a is None or b is None:
        return MetricDelta(metric, a, b, None, gated, tolerance, gated and a is not None and b is None, False, *n)
    delta = b - a
    worse = -delta if higher else delta
    limit = tolerance if tolerance is not None else 0.0
    return MetricDelta(metric, a, b, round(delta, 6), gated, tolerance, worse > limit + 1e-12,
                       -worse > limit + 1e-12, *n)


def _config(run: Path) -> dict[str, Any]:
    try:
        config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return config if isinstance(config, dict) else {}


def _warnings(config_a: Mapping[str, Any], config_b: Mapping[str, Any], common: int, ids: tuple[int, int],
              ) -> list[str]:
    notes = []
    if config_a.get("mode") != config_b.get("mode"):
        notes.append(f"the runs were made in different modes ({config_a.get('mode')} and {config_b.get('mode')}): "
                     "the deltas mix the modes' differences with any regression")
    judge_a, judge_b = ((c.get("judge") or {}).get("model") for c in (config_a, config_b))
    if judge_a != judge_b:
        notes.append(f"the runs were graded by different judges ({judge_a} and {judge_b})")
    if common < max(ids):
        notes.append(f"the runs hold different questions ({ids[0]} and {ids[1]}); the metrics are compared on "
                     f"the {common} questions both answered")
    return notes


def _summary(records: Sequence[Mapping[str, Any]], config: Mapping[str, Any]) -> dict[str, Any]:
    return aggregate(records, judged=bool(config.get("judge")))


def _passes(record: Mapping[str, Any]) -> dict[str, bool | None]:
    checks = dict(record.get("checks") or {})
    checks["error"] = not record.get("error")
    return checks


def compare_runs(run_a: str | Path, run_b: str | Path, thresholds: Thresholds | None = None,
                 root: Path | None = None) -> Comparison:
    """Compare run B with run A (directories or names under ``root``); thresholds default to B's."""
    summary_a, summary_b = load_summary(run_a, root), load_summary(run_b, root)
    path_a, path_b = resolve_run(run_a, root), resolve_run(run_b, root)
    config_a, config_b = _config(path_a), _config(path_b)
    if thresholds is None:
        thresholds = Thresholds.from_json(config_b.get("thresholds") or {})
    records_a = {r["id"]: r for r in load_results(run_a, root)}
    records_b = {r["id"]: r for r in load_results(run_b, root)}
    common = [q for q in records_b if q in records_a]
    if len(common) < max(len(records_a), len(records_b)):
        summary_a = _summary([records_a[q] for q in common], config_a)
        summary_b = _summary([records_b[q] for q in common], config_b)
    metrics_a, metrics_b = summary_a.get("metrics", {}), summary_b.get("metrics", {})
    counts_a, counts_b = summary_a.get("counts", {}), summary_b.get("counts", {})
    deltas = tuple(_delta(m, metrics_a.get(m), metrics_b.get(m), thresholds,
                          (int(counts_a.get(m) or 0), int(counts_b.get(m) or 0))) for m in METRICS
                   if metrics_a.get(m) is not None or metrics_b.get(m) is not None)
    regressed: list[QuestionChange] = []
    improved: list[QuestionChange] = []
    for qid, record_b in records_b.items():
        if qid not in records_a:
            continue
        before, after = _passes(records_a[qid]), _passes(record_b)
        names = ("error", *CHECKS)
        lost = tuple(n for n in names if before.get(n) is True and after.get(n) is False)
        gained = tuple(n for n in names if before.get(n) is False and after.get(n) is True)
        change = QuestionChange(qid, record_b.get("lang"), lost, gained)
        if lost:
            regressed.append(change)
        elif gained:
            improved.append(change)
    return Comparison(str(path_a), str(path_b), config_a.get("dataset_sha256") == config_b.get("dataset_sha256"),
                      deltas, tuple(regressed), tuple(improved), tuple(sorted(set(records_a) - set(records_b))),
                      tuple(sorted(set(records_b) - set(records_a))),
                      tuple(_warnings(config_a, config_b, len(common), (len(records_a), len(records_b)))),
                      tuple(records_a.values()), tuple(records_b.values()))
