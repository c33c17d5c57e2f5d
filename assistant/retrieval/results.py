"""What a search returns, and its wire shape (the ``search --json`` document of docs/interfaces.md).

``SearchResult`` is the seam the answer pipeline consumes; ``search_document`` is the one place a
result becomes JSON, for the CLI, the API and the evaluation harness alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Hit", "SearchResult", "search_document"]


@dataclass(frozen=True)
class Hit:
    """One article (its best chunk) found for a query."""

    id: str
    lang: str
    title: str
    section: str
    score: float
    text: str


@dataclass(frozen=True)
class SearchResult:
    """Articles for a query, best first; ``in_scope`` is false when none of them answers it."""

    query: str
    in_scope: bool
    hits: tuple[Hit, ...]


def search_document(result: SearchResult, id: str | None = None) -> dict[str, Any]:
    """The ``search --json`` document; with ``id`` (batch mode) the input line's id comes first."""
    document: dict[str, Any] = {} if id is None else {"id": id}
    document.update({
        "query": result.query,
        "in_scope": result.in_scope,
        "results": [{"id": h.id, "lang": h.lang, "title": h.title, "section": h.section,
                     "score": round(h.score, 4)} for h in result.hits],
    })
    return document
