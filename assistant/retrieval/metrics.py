"""Retrieval metrics, shared by the benchmark and the evaluation harness.

Rankings are lists of article ids, best first; ``expected`` is one id (the public set names one
article per question) or ``None`` for an out-of-scope question.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["RankingScores", "ScopeScores", "hit_at", "mrr", "ndcg_at", "percentile", "score_rankings",
           "score_scope"]


def hit_at(ranking: Sequence[str], expected: str, k: int) -> float:
    """1 when ``expected`` is among the first ``k``."""
    return 1.0 if expected in ranking[:k] else 0.0


def mrr(ranking: Sequence[str], expected: str) -> float:
    """Reciprocal rank of ``expected`` (0 when absent)."""
    for rank, item in enumerate(ranking, start=1):
        if item == expected:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranking: Sequence[str], expected: str, k: int = 10) -> float:
    """nDCG@k with one relevant item (binary gain): 1/log2(rank+1) when within ``k``."""
    for rank, item in enumerate(ranking[:k], start=1):
        if item == expected:
            return 1.0 / math.log2(rank + 1)
    return 0.0


@dataclass(frozen=True)
class RankingScores:
    """Mean ranking metrics over in-scope questions."""

    n: int
    hit1: float
    hit3: float
    mrr: float
    ndcg10: float


def score_rankings(rankings: Sequence[Sequence[str]], expected: Sequence[str]) -> RankingScores:
    """Mean hit@1, hit@3, MRR and nDCG@10 of ``rankings`` against ``expected``."""
    n = len(rankings)
    if n == 0:
        return RankingScores(0, 0.0, 0.0, 0.0, 0.0)
    pairs = list(zip(rankings, expected, strict=True))
    return RankingScores(
        n,
        sum(hit_at(r, e, 1) for r, e in pairs) / n,
        sum(hit_at(r, e, 3) for r, e in pairs) / n,
        sum(mrr(r, e) for r, e in pairs) / n,
        sum(ndcg_at(r, e, 10) for r, e in pairs) / n,
    )


@dataclass(frozen=True)
class ScopeScores:
    """Out-of-scope detection: positives are questions the knowledge base does not answer."""

    precision: float
    recall: float
    answered_out_of_scope: int
    rejected_in_scope: int


def score_scope(predicted_in_scope: Sequence[bool], truly_in_scope: Sequence[bool]) -> ScopeScores:
    """Precision and recall of predicting *out of scope*."""
    pairs = list(zip(predicted_in_scope, truly_in_scope, strict=True))
    true_pos = sum(1 for p, t in pairs if not p and not t)
    predicted_pos = sum(1 for p, _ in pairs if not p)
    actual_pos = sum(1 for _, t in pairs if not t)
    return ScopeScores(
        true_pos / predicted_pos if predicted_pos else 1.0,
        true_pos / actual_pos if actual_pos else 1.0,
        sum(1 for p, t in pairs if p and not t),
        sum(1 for p, t in pairs if not p and t),
    )


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
