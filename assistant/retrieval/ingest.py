"""Incremental, atomic ingestion of the knowledge base into the vector index.

Each article file has a content hash (its front matter and body, plus the chunker version). An
ingest copies the vectors of unchanged articles from the live generation, embeds only new and
changed ones (taking the vectors shipped with the repository or cached where the text is known),
leaves deleted ones out, and publishes the new generation with one pointer
switch: a crash or Ctrl-C before that switch leaves the previous index whole and queryable (the
half-built generation is dropped). One writer at a time: the store's lock. A new tokenizer (say
another Sudachi split mode) re-tokenizes the copied chunks without re-embedding them.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.adapters.articles import Article
from assistant.adapters.vectorstore import Record, VectorStore
from assistant.retrieval.chunking import CHUNKER_VERSION, DEFAULT_MAX_CHARS, Chunk, chunk_article
from assistant.retrieval.lexical import Tokenizer

__all__ = ["IngestReport", "Progress", "article_hash", "chunk_metadata", "ingest"]

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` with chunk counts while the model embeds chunks (only then:
chunks whose vectors are shipped or cached need no model and report nothing)."""

_EMBED_BATCH = 32


@dataclass(frozen=True)
class IngestReport:
    """What an ingest did; ``generation`` is the live generation afterwards."""

    generation: str
    published: bool
    articles: int
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    chunks: int
    embedded_chunks: int  # by the model: shipped or cached vectors are not counted
    seconds: float
    article_ids: int  # distinct article ids; ``articles`` counts files (one per id and language)


def article_hash(article: Article, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Content hash of one article file as the index sees it (what decides re-embedding)."""
    payload = json.dumps({"meta": dict(article.meta), "body": article.body, "chunker": CHUNKER_VERSION,
                          "max_chars": max_chars},
                         sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def chunk_metadata(chunk: Chunk, digest: str, terms: Sequence[str], terms_signature: str) -> dict[str, str | int]:
    """The flat metadata stored with a chunk (``terms`` feed BM25 without re-tokenizing)."""
    return {"article_id": chunk.article_id, "lang": chunk.lang, "title": chunk.title,
            "section": chunk.section, "position": chunk.position, "article_key": chunk.article_key,
            "article_hash": digest, "terms": " ".join(terms), "terms_signature": terms_signature}


def _retokenized(record: Record, tokenizer: Tokenizer) -> Record:
    """A copied chunk whose lexical terms came from another tokenizer: same vector, new terms."""
    if record.metadata.get("terms_signature") == tokenizer.signature:
        return record
    metadata = dict(record.metadata)
    metadata["terms"] = " ".join(tokenizer.terms(record.text))
    metadata["terms_signature"] = tokenizer.signature
    return Record(record.id, record.text, metadata, record.embedding)


def ingest(store: VectorStore, articles: Sequence[Article], tokenizer: Tokenizer, *, rebuild: bool = False,
           progress: Progress | None = None, max_chars: int = DEFAULT_MAX_CHARS,
           batch_size: int = _EMBED_BATCH) -> IngestReport:
    """Bring the index up to date with ``articles`` (everything re-embedded when ``rebuild``)."""
    started = time.perf_counter()
    with store.lock():
        current = store.current(check=not rebuild)
        old: dict[str, str] = {}
        retokenize = False
        if current is not None and not rebuild:
            for record in store.records(current):
                meta = record.metadata
                old[str(meta.get("article_key", ""))] = str(meta.get("article_hash", ""))
                retokenize = retokenize or meta.get("terms_signature") != tokenizer.signature
        new = {f"{a.lang}/{a.id}": (a, article_hash(a, max_chars)) for a in articles}
        unchanged = {key for key, (_, digest) in new.items() if old.get(key) == digest}
        added = tuple(sorted(key for key in new if key not in old))
        changed = tuple(sorted(key for key in new if key in old and key not in unchanged))
        removed = tuple(sorted(key for key in old if key not in new))
        if current is not None and not rebuild and not (added or changed or removed or retokenize):
            count = store.count(current)
            return IngestReport(current.name, False, len(new), (), (), (), len(unchanged), count, 0,
                                time.perf_counter() - started, len({a.id for a in articles}))

        fresh: list[tuple[Chunk, str]] = [(chunk, new[key][1]) for key in (*added, *changed)
                                          for chunk in chunk_article(new[key][0], max_chars)]
        writer = store.create_generation()
        try:
            copied = 0
            if unchanged and current is not None:
                keep: list[Record] = []
                for record in store.records(current, embeddings=True):
                    if record.metadata.get("article_key") in unchanged:
                        keep.append(_retokenized(record, tokenizer))
                    if len(keep) >= store.max_batch:
                        writer.add_records(keep)
                        copied += len(keep)
                        keep = []
                writer.add_records(keep)
                copied += len(keep)
            texts = [c.dense or c.text for c, _ in fresh]
            vectors = store.known_vectors(texts)
            todo = [i for i in range(len(fresh)) if i not in vectors]
            if todo and progress is not None:
                progress(0, len(todo))
            for start in range(0, len(todo), batch_size):
                batch = todo[start : start + batch_size]
                vectors.update(zip(batch, store.embed_documents([texts[i] for i in batch]), strict=True))
                if progress is not None:
                    progress(min(start + batch_size, len(todo)), len(todo))
            writer.add_records([Record(c.id, c.text, chunk_metadata(c, d, tokenizer.terms(c.text),
                                                                    tokenizer.signature), tuple(vectors[i]))
                                for i, (c, d) in enumerate(fresh)])
            generation = writer.publish()
        except BaseException:
            writer.abort()
            raise
    return IngestReport(generation.name, True, len(new), added, changed, removed, len(unchanged),
                        copied + len(fresh), len(todo), time.perf_counter() - started, len({a.id for a in articles}))
