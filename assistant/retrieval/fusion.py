"""Fusing rankings, at the level of articles.

Each ranking of chunks (dense, lexical) is first grouped into a ranking of article ids (an
article's best chunk speaks for it), then the article rankings (with the article-level lexical
one) are fused: reciprocal rank fusion or a convex combination of normalized scores, chosen by
measurement (``benchmarks/retrieval.py --tune``). Both languages of an id are one article; the
chunk shown for it is then picked in the query's language when there is one.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

__all__ = ["Ranked", "best_chunk", "by_article", "convex", "rrf"]

K = TypeVar("K", bound=Hashable)

Ranked = Sequence[tuple[K, float]]
"""A ranking: ``(key, score)``, best first."""


def rrf(rankings: Sequence[Sequence[tuple[K, float]]], weights: Sequence[float],
        k: float = 60.0) -> dict[K, float]:
    """Weighted reciprocal rank fusion, normalized so that first place in every ranking scores 1."""
    scores: dict[K, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, (key, _score) in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    best = sum(w / (k + 1) for w in weights) or 1.0
    return {key: s / best for key, s in scores.items()}


def convex(rankings: Sequence[Sequence[tuple[K, float]]], weights: Sequence[float]) -> dict[K, float]:
    """Weighted sum of each ranking's scores scaled to [0, 1] (its best → 1, its last → 0)."""
    scores: dict[K, float] = {}
    total = sum(weights) or 1.0
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        top, low = ranking[0][1], ranking[-1][1]
        span = (top - low) or 1.0
        for key, score in ranking:
            scores[key] = scores.get(key, 0.0) + weight * (score - low) / span
    return {key: s / total for key, s in scores.items()}


def by_article(chunks: Sequence[tuple[int, float]], article_of: Sequence[str]) -> list[tuple[str, float]]:
    """A chunk ranking grouped into an article ranking: each article scored by its best chunk."""
    best: dict[str, float] = {}
    for index, score in chunks:
        article = article_of[index]
        if article not in best or score > best[article]:
            best[article] = score
    return sorted(best.items(), key=lambda item: (-item[1], item[0]))


def best_chunk(candidates: Sequence[int], chunk_scores: Mapping[int, float], lang_of: Sequence[str],
               query_lang: str) -> int:
    """The chunk to show for an article: its best-scored candidate in the query's language if any."""
    preferred = [c for c in candidates if lang_of[c] == query_lang] or list(candidates)
    return max(preferred, key=lambda c: (chunk_scores.get(c, 0.0), -c))
