"""Fusing the dense and the lexical rankings of chunks, then grouping chunks into articles.

Two fusions, chosen by measurement (``benchmarks/retrieval.py``): reciprocal rank fusion and a
convex combination of normalized scores. Grouping keeps the best chunk per article id and prefers
the query's language (both languages exist for every id; the other language is demoted, not hidden).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["ArticleScore", "Ranked", "convex", "group_by_article", "rrf"]

Ranked = Sequence[tuple[int, float]]
"""A ranking of chunks: ``(chunk index, score)``, best first."""


def rrf(rankings: Sequence[Ranked], weights: Sequence[float], k: float = 60.0) -> dict[int, float]:
    """Weighted reciprocal rank fusion, normalized so that first place in every ranking scores 1."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, (index, _score) in enumerate(ranking, start=1):
            scores[index] = scores.get(index, 0.0) + weight / (k + rank)
    best = sum(w / (k + 1) for w in weights) or 1.0
    return {i: s / best for i, s in scores.items()}


def convex(rankings: Sequence[Ranked], weights: Sequence[float],
           floors: Sequence[float] | None = None) -> dict[int, float]:
    """Weighted sum of scores scaled to [0, 1] per ranking (max → 1, ``floor`` or the min → 0)."""
    scores: dict[int, float] = {}
    total = sum(weights) or 1.0
    for position, (ranking, weight) in enumerate(zip(rankings, weights, strict=True)):
        if not ranking:
            continue
        top = ranking[0][1]
        low = floors[position] if floors is not None else min(s for _, s in ranking)
        span = (top - low) or 1.0
        for index, score in ranking:
            scores[index] = scores.get(index, 0.0) + weight * max(0.0, (score - low) / span)
    return {i: s / total for i, s in scores.items()}


@dataclass(frozen=True)
class ArticleScore:
    """An article id with its score and the index of its best chunk."""

    article_id: str
    score: float
    chunk: int


def group_by_article(scores: Mapping[int, float], article_of: Sequence[str], lang_of: Sequence[str],
                     query_lang: str, other_lang_factor: float) -> list[ArticleScore]:
    """Best chunk per article id (other-language chunks scaled by ``other_lang_factor``), best first."""
    best: dict[str, ArticleScore] = {}
    for index, score in scores.items():
        adjusted = score if lang_of[index] == query_lang else score * other_lang_factor
        article = article_of[index]
        held = best.get(article)
        if held is None or adjusted > held.score or (adjusted == held.score and index < held.chunk):
            best[article] = ArticleScore(article, adjusted, index)
    return sorted(best.values(), key=lambda a: (-a.score, a.article_id))
