"""Comparing two stored runs: per-metric deltas, questions that regressed or improved, a CI verdict.

A gated metric (one with a minimum or maximum in the thresholds) regresses when it got worse by more
than its tolerance, or stopped being measured; any regression makes the comparison fail (exit 1).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.evaluation.runs import load_results, load_summary, resolve_run
from assistant.evaluation.scoring import CHECKS
from assistant.evaluation.summary import METRICS
from assistant.evaluation.thresholds import Thresholds

__all__ = ["Comparison", "MetricDelta", "QuestionChange", "compare_runs"]


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

    def to_json(self) -> dict[str, Any]:
        """The delta as JSON."""
        return {"metric": self.metric, "a": self.a, "b": self.b, "delta": self.delta, "gated": self.gated,
                "tolerance": self.tolerance, "regressed": self.regressed, "improved": self.improved}


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
                "gate_failures": [d.metric for d in self.gate_failures],
                "metrics": [d.to_json() for d in self.deltas],
                "regressed_questions": [q.to_json() for q in self.regressed],
                "improved_questions": [q.to_json() for q in self.improved],
                "only_in_a": list(self.only_in_a), "only_in_b": list(self.only_in_b)}


def _delta(metric: str, a: float | None, b: float | None, thresholds: Thresholds) -> MetricDelta:
    gated = metric in thresholds.minimum or metric in thresholds.maximum
    tolerance = thresholds.tolerance_of(metric) if gated else None
    higher = METRICS[metric].higher_is_better
    if a is None or b is None:
        return MetricDelta(metric, a, b, None, gated, tolerance, gated and a is not None and b is None, False)
    delta = b - a
    worse = -delta if higher else delta
    limit = tolerance if tolerance is not None else 0.0
    return MetricDelta(metric, a, b, round(delta, 6), gated, tolerance, worse > limit + 1e-12,
                       -worse > limit + 1e-12)


def _passes(record: Mapping[str, Any]) -> dict[str, bool | None]:
    checks = dict(record.get("checks") or {})
    checks["error"] = not record.get("error")
    return checks


def compare_runs(run_a: str | Path, run_b: str | Path, thresholds: Thresholds | None = None,
                 root: Path | None = None) -> Comparison:
    """Compare run B with run A (directories or names under ``root``); thresholds default to B's."""
    summary_a, summary_b = load_summary(run_a, root), load_summary(run_b, root)
    if thresholds is None:
        config = json.loads((resolve_run(run_b, root) / "config.json").read_text(encoding="utf-8"))
        thresholds = Thresholds.from_json(config.get("thresholds") or {})
    metrics_a, metrics_b = summary_a.get("metrics", {}), summary_b.get("metrics", {})
    deltas = tuple(_delta(m, metrics_a.get(m), metrics_b.get(m), thresholds) for m in METRICS
                   if metrics_a.get(m) is not None or metrics_b.get(m) is not None)
    records_a = {r["id"]: r for r in load_results(run_a, root)}
    records_b = {r["id"]: r for r in load_results(run_b, root)}
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
    run = (summary_a.get("run") or {}), (summary_b.get("run") or {})
    return Comparison(str(resolve_run(run_a, root)), str(resolve_run(run_b, root)),
                      run[0].get("dataset_sha256") == run[1].get("dataset_sha256"), deltas, tuple(regressed),
                      tuple(improved), tuple(sorted(set(records_a) - set(records_b))),
                      tuple(sorted(set(records_b) - set(records_a))))
