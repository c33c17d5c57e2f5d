"""The in-scope decision: does anything in the knowledge base answer this question?

Two signals, both cheap: how close the nearest chunk is in embedding space (cosine), and how much of
the query's lexical weight (IDF mass) the best lexical chunk covers — words the knowledge base has
never seen (``Azure``, ``BigQuery``, small talk) count at full weight against it. The thresholds are
tuned on the public evaluation set by ``benchmarks/retrieval.py --tune``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.retrieval.lexical import BM25

__all__ = ["ScopeRule", "ScopeSignals", "lexical_coverage"]


@dataclass(frozen=True)
class ScopeSignals:
    """What the decision looks at."""

    dense_top: float
    coverage: float


@dataclass(frozen=True)
class ScopeRule:
    """In scope when the nearest chunk is very close, or fairly close with enough lexical coverage."""

    dense_high: float = 0.88
    dense_low: float = 0.80
    min_coverage: float = 0.35

    def in_scope(self, signals: ScopeSignals) -> bool:
        """Apply the rule."""
        if signals.dense_top >= self.dense_high:
            return True
        return signals.dense_top >= self.dense_low and signals.coverage >= self.min_coverage


def lexical_coverage(bm25: BM25, query_terms: Sequence[str], document_terms: Sequence[str]) -> float:
    """Share of the query's IDF mass found in one document; unknown query terms weigh the most."""
    unique = set(query_terms)
    if not unique:
        return 0.0
    present = set(document_terms)
    total = matched = 0.0
    for term in unique:
        weight = bm25.idf(term) if bm25.knows(term) else bm25.unseen_idf
        total += weight
        if term in present:
            matched += weight
    return matched / total if total else 0.0
