"""The retriever: query → articles, fusing dense (Chroma) and lexical (BM25) rankings.

``Retriever(settings).search(query, k)`` is the seam the answer pipeline calls. It reads the live
index generation on every search (a cheap pointer read), keeps that generation's chunk table and
BM25 index in memory, and builds the index itself on a fresh checkout (from the shipped vectors: the
model embeds only chunks that are new to it, with a progress bar on stderr). The Sudachi tokenizer and
the embedding model are created once per retriever, in its constructor.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Literal

from langchain_core.embeddings import Embeddings

from assistant.adapters.articles import load_articles
from assistant.adapters.embeddings import make_embeddings
from assistant.adapters.vectorstore import Generation, VectorStore
from assistant.config import Settings
from assistant.errors import AssistantError, IndexError_, IndexLockedError
from assistant.retrieval.chunking import ANSWERS_SECTION
from assistant.retrieval.fusion import best_chunk, by_article, convex, rrf
from assistant.retrieval.ingest import IngestReport, Progress, ingest
from assistant.retrieval.lexical import BM25, Tokenizer, detect_language
from assistant.retrieval.progress import StderrProgress
from assistant.retrieval.results import Hit, SearchResult
from assistant.retrieval.scope import ScopeRule, ScopeSignals, foreign_platform, lexical_coverage, unanswered_service

__all__ = ["ArticleScore", "Ranking", "RetrievalConfig", "Retriever"]

_log = logging.getLogger(__name__)

Mode = Literal["fused", "dense", "lexical"]


@dataclass(frozen=True)
class RetrievalConfig:
    """Knobs of retrieval; the defaults are the values measured best on the public set
    (``benchmarks/retrieval.py --tune``: convex fusion of dense, chunk-BM25 and article-BM25
    rankings, weights 1 / 1.5 / 1 since the knowledge base doubled to 65 articles (at 1 / 1 / 0.5
    old-topic hit@1 fell to 0.93 per language; lexical and article weights anywhere in 1-2 stay within
    one question of 1.5 / 1); Sudachi mode B beat C and A by one Japanese question at hit@3)."""

    candidates: int = 40
    fusion: Literal["rrf", "convex"] = "convex"
    rrf_k: float = 60.0
    dense_weight: float = 1.0
    lexical_weight: float = 1.5
    article_weight: float = 1.0
    split_mode: str = "B"
    dense_query_chars: int = 300  # a pasted policy adds little meaning but costs model time
    scope: ScopeRule = field(default_factory=ScopeRule)
    build_wait_s: float = 600.0


@dataclass(frozen=True)
class ArticleScore:
    """An article id with its score and the index of the chunk that represents it."""

    article_id: str
    score: float
    chunk: int


@dataclass(frozen=True)
class Ranking:
    """Articles for a query in one mode, with the signals of the in-scope decision."""

    articles: tuple[ArticleScore, ...]
    signals: ScopeSignals
    query_lang: str


@dataclass
class _Corpus:
    generation: str
    ids: list[str]
    article_ids: list[str]
    langs: list[str]
    titles: list[str]
    sections: list[str]
    texts: list[str]
    terms: list[list[str]]
    bm25: BM25
    index_of: dict[str, int]
    chunks_of: dict[str, list[int]]  # article id → its chunks, both languages
    article_keys: list[str]  # one per article file, "<lang>/<id>"
    article_bm25: BM25  # over whole article files
    vocabulary: dict[str, set[str]]  # article id → every term of both languages, FAQ chunks aside


class Retriever:
    """Hybrid retrieval over the knowledge-base index."""

    def __init__(self, settings: Settings, embeddings: Embeddings | None = None, *,
                 store: VectorStore | None = None, tokenizer: Tokenizer | None = None,
                 config: RetrievalConfig | None = None, progress: Progress | None = None) -> None:
        self.settings = settings
        self.config = config or RetrievalConfig()
        # whoever builds the index (ask, serve, ui, ingest) shows the model's work unless told otherwise
        self.progress = progress or StderrProgress("building the index: embedding")
        self.embeddings = embeddings if embeddings is not None else make_embeddings(settings)
        self._owns_store = store is None
        self.store = store if store is not None else VectorStore(settings, self.embeddings)
        self.tokenizer = tokenizer or Tokenizer(self.config.split_mode)
        self._corpus: _Corpus | None = None

    # -- index -----------------------------------------------------------------------------------

    def ingest(self, *, rebuild: bool = False, progress: Progress | None = None) -> IngestReport:
        """Index ``settings.kb_dir`` (incrementally unless ``rebuild``)."""
        articles = load_articles(self.settings.kb_dir)
        return ingest(self.store, articles, self.tokenizer, rebuild=rebuild, progress=progress or self.progress)

    def generation(self, progress: Progress | None = None) -> Generation:
        """The live generation, building the index first when there is none (a fresh checkout)."""
        current = self.store.current()
        if current is not None:
            return current
        deadline = time.monotonic() + self.config.build_wait_s
        waiting = False
        while True:
            try:
                self.ingest(progress=progress)
            except IndexLockedError as exc:
                if time.monotonic() > deadline:
                    raise
                if not waiting:  # say once why nothing happens (a lock from a dead writer elsewhere is possible)
                    _log.warning("waiting for the index: %s", exc)
                    waiting = True
                time.sleep(0.5)  # someone else is building it: wait for their generation
            current = self.store.current()
            if current is not None:
                return current

    def _load(self, generation: Generation) -> _Corpus:
        if self._corpus is not None and self._corpus.generation == generation.name:
            return self._corpus
        ids: list[str] = []
        article_ids: list[str] = []
        langs: list[str] = []
        titles: list[str] = []
        sections: list[str] = []
        texts: list[str] = []
        terms: list[list[str]] = []
        for record in self.store.records(generation):
            meta = record.metadata
            ids.append(record.id)
            article_ids.append(str(meta.get("article_id", "")))
            langs.append(str(meta.get("lang", "")))
            titles.append(str(meta.get("title", "")))
            sections.append(str(meta.get("section", "")))
            texts.append(record.text)
            terms.append(str(meta.get("terms", "")).split())
        chunks_of: dict[str, list[int]] = {}
        by_file: dict[str, list[str]] = {}
        vocabulary: dict[str, set[str]] = {}
        for index, article in enumerate(article_ids):
            chunks_of.setdefault(article, []).append(index)
            by_file.setdefault(f"{langs[index]}/{article}", []).extend(terms[index])
            # the in-scope signals read the article's own text: FAQ answers are short and generic
            # ("how long does it take"), they would make every article cover small talk
            if sections[index] != ANSWERS_SECTION:
                vocabulary.setdefault(article, set()).update(terms[index])
        keys = sorted(by_file)
        self._corpus = _Corpus(generation.name, ids, article_ids, langs, titles, sections, texts, terms,
                               BM25(terms), {cid: i for i, cid in enumerate(ids)}, chunks_of, keys,
                               BM25([by_file[k] for k in keys]), vocabulary)
        return self._corpus

    # -- search ----------------------------------------------------------------------------------

    def rank(self, query: str, mode: Mode = "fused") -> Ranking:
        """Every candidate article for ``query`` in one mode (dense, lexical or fused), best first."""
        return self._rank(query, mode)[0]

    def _rank(self, query: str, mode: Mode) -> tuple[Ranking, _Corpus]:
        cfg = self.config
        # the query's vector is computed while the index is read and the query tokenized (the model's C code
        # leaves the GIL), so a first question waits for the slower of the two rather than their sum
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(self._embed_query, query[: cfg.dense_query_chars])
            # the corpus goes with the ranking: its chunk indices mean nothing in another generation
            corpus, generation = self._snapshot()
            query_lang = detect_language(query)
            query_terms = self.tokenizer.terms(query)
            lexical = corpus.bm25.top(query_terms, cfg.candidates)
            vector = pending.result()
        dense: list[tuple[int, float]] = []
        for match in self.store.search(generation, vector, cfg.candidates):
            index = corpus.index_of.get(match.record.id)
            if index is not None:
                dense.append((index, match.similarity))
        files: dict[str, float] = {}
        for file, score in corpus.article_bm25.top(query_terms, cfg.candidates):
            article = corpus.article_keys[file].split("/", 1)[1]
            files[article] = max(files.get(article, 0.0), score)
        by_dense = by_article(dense, corpus.article_ids)
        by_lexical = by_article(lexical, corpus.article_ids)
        by_file = sorted(files.items(), key=lambda item: (-item[1], item[0]))
        if mode == "dense":
            scores = dict(by_dense)
        elif mode == "lexical":
            scores = dict(by_lexical)
        else:
            rankings = [by_dense, by_lexical, by_file]
            weights = [cfg.dense_weight, cfg.lexical_weight, cfg.article_weight]
            scores = (convex(rankings, weights) if cfg.fusion == "convex"
                      else rrf(rankings, weights, cfg.rrf_k))
        chunk_scores = rrf([dense, lexical], [cfg.dense_weight, cfg.lexical_weight], cfg.rrf_k)
        articles = []
        for article, score in sorted(scores.items(), key=lambda item: (-item[1], item[0])):
            candidates = [c for c in corpus.chunks_of[article] if c in chunk_scores] or corpus.chunks_of[article]
            articles.append(ArticleScore(article, score, best_chunk(candidates, chunk_scores, corpus.langs,
                                                                    query_lang)))
        coverage = max((lexical_coverage(corpus.bm25, query_terms, corpus.vocabulary[a.article_id])
                        for a in articles[:3]), default=0.0)
        top = [corpus.vocabulary[a.article_id] for a in articles[:3]]
        signals = ScopeSignals(dense[0][1] if dense else 0.0, coverage, foreign_platform(query_terms),
                               unanswered_service(query_terms, top, corpus.vocabulary.values()))
        return Ranking(tuple(articles), signals, query_lang), corpus

    def search(self, query: str, k: int = 5) -> SearchResult:
        """The ``k`` best articles for ``query`` and whether the knowledge base answers it at all."""
        if not query.strip():
            return SearchResult(query, False, ())
        ranking, corpus = self._rank(query, "fused")
        hits = tuple(Hit(a.article_id, corpus.langs[a.chunk], corpus.titles[a.chunk],
                         corpus.sections[a.chunk], a.score, corpus.texts[a.chunk])
                     for a in ranking.articles[: max(k, 0)])
        return SearchResult(query, self.config.scope.in_scope(ranking.signals), hits)

    def with_config(self, **changes: object) -> Retriever:
        """A retriever sharing this one's model, store and tokenizer, with other knobs (for tuning)."""
        other = Retriever.__new__(Retriever)
        other.__dict__.update(self.__dict__)
        other.config = replace(self.config, **changes)  # type: ignore[arg-type]
        other._owns_store = False
        return other

    def _snapshot(self) -> tuple[_Corpus, Generation]:
        generation = self.generation()
        try:
            return self._load(generation), generation
        except IndexError_:
            # the generation was replaced and collected while we read it: read the pointer again
            generation = self.generation()
            return self._load(generation), generation

    def _embed_query(self, query: str) -> Sequence[float]:
        try:
            return self.embeddings.embed_query(query)
        except AssistantError:
            raise
        except Exception as exc:  # a foreign embedding model: its failure is reported as ours
            raise IndexError_(f"cannot embed the query: {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        """Release the vector store when this retriever created it."""
        if self._owns_store:
            with contextlib.suppress(AssistantError):
                self.store.close()

    def __enter__(self) -> Retriever:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
