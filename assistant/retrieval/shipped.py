"""The vectors shipped with the repository: every chunk of the bundled knowledge base, embedded once.

``kb-assistant kb vectors`` (``make vectors``) writes them to ``Settings.shipped_vectors``, so that a
fresh install indexes ``kb/`` without running the model. They are keyed by model and embedded text,
so an article that changed only costs the embedding of its new chunks; ``stale_articles`` names the
articles whose chunks are missing (a test fails on any, asking for ``make vectors``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from langchain_core.embeddings import Embeddings

from assistant.adapters.articles import Article, load_articles
from assistant.adapters.embeddings import CachedEmbeddings, E5Embeddings, ShippedVectors, vector_key
from assistant.config import Settings
from assistant.retrieval.chunking import chunk_article
from assistant.retrieval.ingest import Progress

__all__ = ["ShippedReport", "embedded_texts", "stale_articles", "write_shipped_vectors"]

_BATCH = 32


@dataclass(frozen=True)
class ShippedReport:
    """What ``write_shipped_vectors`` wrote."""

    chunks: int
    embedded: int
    files: tuple[Path, ...]
    bytes: int


def embedded_texts(articles: list[Article]) -> dict[str, list[str]]:
    """The texts the index embeds, by article file (``<lang>/<id>``)."""
    return {f"{a.lang}/{a.id}": [c.dense or c.text for c in chunk_article(a)] for a in articles}


def stale_articles(settings: Settings) -> tuple[list[str], int]:
    """Article files with a chunk that has no shipped vector, and the count of shipped vectors no chunk uses."""
    model = E5Embeddings.model_name
    shipped = ShippedVectors.load(settings.shipped_vectors, model)
    texts = embedded_texts(load_articles(settings.kb_dir))
    if shipped is None:
        return sorted(texts), 0
    used = {vector_key(model, t) for chunks in texts.values() for t in chunks}
    stale = sorted(key for key, chunks in texts.items() if any(vector_key(model, t) not in shipped for t in chunks))
    return stale, len(set(shipped.keys) - used)


def write_shipped_vectors(settings: Settings, progress: Progress | None = None,
                          model: Embeddings | None = None) -> ShippedReport:
    """Embed every chunk of ``settings.kb_dir`` (reusing shipped and cached vectors) and write the set anew.

    ``model`` stands in for multilingual-e5 (it must give the same vectors: they are stored under its name).
    """
    embeddings = CachedEmbeddings(model or E5Embeddings(), settings.embedding_cache,
                                  ShippedVectors.load(settings.shipped_vectors, E5Embeddings.model_name))
    texts = list(dict.fromkeys(t for chunks in embedded_texts(load_articles(settings.kb_dir)).values()
                               for t in chunks))
    vectors = embeddings.known(texts)
    todo = [i for i in range(len(texts)) if i not in vectors]
    for start in range(0, len(todo), _BATCH):
        if progress is not None:
            progress(start, len(todo))
        batch = todo[start : start + _BATCH]
        vectors.update(zip(batch, embeddings.embed_documents([texts[i] for i in batch]), strict=True))
    if todo and progress is not None:
        progress(len(todo), len(todo))
    files = ShippedVectors.write(settings.shipped_vectors, E5Embeddings.model_name,
                                 {vector_key(E5Embeddings.model_name, t): vectors[i] for i, t in enumerate(texts)})
    return ShippedReport(len(texts), len(todo), files, sum(f.stat().st_size for f in files))
