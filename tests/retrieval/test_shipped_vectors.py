"""The vectors shipped with the repository: fresh for the bundled knowledge base, and a fresh data
directory indexed from them without the model, ranking exactly as an index the model built."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from retrieval_support import CountingEmbeddings, MemoEmbeddings

from assistant.adapters.embeddings import CachedEmbeddings, E5Embeddings, ShippedVectors
from assistant.config import Settings
from assistant.retrieval import Retriever
from assistant.retrieval.lexical import Tokenizer
from assistant.retrieval.progress import StderrProgress
from assistant.retrieval.shipped import stale_articles, write_shipped_vectors

REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_vectors_cover_every_chunk_of_the_bundled_knowledge_base(tmp_path: Path) -> None:
    settings = Settings(kb_dir=REPO / "kb", data_dir=tmp_path / "data")
    stale, unused = stale_articles(settings)
    assert not stale, (f"the shipped vectors ({settings.shipped_vectors}) lack chunks of {len(stale)} article "
                       f"files ({', '.join(stale[:5])}{', …' if len(stale) > 5 else ''}): run make vectors")
    assert unused == 0, f"{unused} shipped vectors belong to no chunk of kb/ any more: run make vectors"


def _settings(settings: Settings, root: Path, name: str) -> Settings:
    return dataclasses.replace(settings, data_dir=root / name / "data",
                               embedding_cache_path=root / name / "cache.sqlite3",
                               shipped_vectors=root / "vectors")


def _queries(retriever: Retriever) -> list[list[tuple[str, str, float]]]:
    return [[(h.id, h.lang, round(h.score, 6)) for h in retriever.search(q, 4).hits]
            for q in ("ListVirtualMFADevices が拒否される", "EC2 で iam:PassRole が拒否された",
                      "cross-account S3 bucket policy AccessDenied")]


def test_a_fresh_data_directory_is_indexed_from_the_shipped_vectors(settings: Settings, e5: MemoEmbeddings,
                                                                    tokenizer: Tokenizer, tmp_path: Path) -> None:
    built = write_shipped_vectors(_settings(settings, tmp_path, "maintainer"), model=e5)
    assert built.chunks > 0 and built.embedded == built.chunks
    assert all(path.parent == tmp_path / "vectors" for path in built.files)

    fresh = _settings(settings, tmp_path, "newcomer")
    shipped = ShippedVectors.load(fresh.shipped_vectors, E5Embeddings.model_name)
    counting = CountingEmbeddings(e5)
    shown: list[tuple[int, int]] = []
    with Retriever(fresh, CachedEmbeddings(counting, fresh.embedding_cache, shipped), tokenizer=tokenizer,
                   progress=lambda done, total: shown.append((done, total))) as retriever:
        report = retriever.ingest()
        assert report.published and report.chunks == built.chunks
        assert (report.embedded_chunks, counting.documents, shown) == (0, [], [])  # the model never ran
        from_shipped = _queries(retriever)

    by_model = _settings(settings, tmp_path, "model")
    with Retriever(by_model, CachedEmbeddings(e5, by_model.embedding_cache), tokenizer=tokenizer) as retriever:
        retriever.ingest()
        assert _queries(retriever) == from_shipped

    edited = settings.kb_dir / "en" / "iam-passrole-not-authorized.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace(
        "limited with iam:PassedToService", "limited with the iam:PassedToService condition key"), encoding="utf-8")
    assert stale_articles(fresh) == (["en/iam-passrole-not-authorized"], 1)  # its old chunk is unused now
    with Retriever(fresh, CachedEmbeddings(counting, fresh.embedding_cache, shipped), tokenizer=tokenizer,
                   progress=lambda done, total: shown.append((done, total))) as retriever:
        report = retriever.ingest()
    assert report.changed == ("en/iam-passrole-not-authorized",)
    assert 0 < report.embedded_chunks == len(counting.documents) < report.chunks
    assert shown[0] == (0, report.embedded_chunks) and shown[-1] == (report.embedded_chunks,) * 2


def test_damaged_or_foreign_shipped_vectors_are_ignored(tmp_path: Path) -> None:
    ShippedVectors.write(tmp_path, "model-a", {"k1": [0.5, 0.25], "k2": [1.0, 0.0]})
    loaded = ShippedVectors.load(tmp_path, "model-a")
    assert loaded is not None and "k1" in loaded and loaded.vector("k2") == [1.0, 0.0]
    assert ShippedVectors.load(tmp_path, "model-b") is None
    _, matrix = ShippedVectors.paths(tmp_path, "model-a")
    matrix.write_bytes(b"not numpy")
    assert ShippedVectors.load(tmp_path, "model-a") is None


@pytest.mark.parametrize(("calls", "lines"), [
    ([], 0),
    ([(0, 8), (1, 8), (2, 8), (3, 8), (4, 8), (6, 8), (8, 8)], 5),  # start, each quarter, done
])
def test_progress_in_a_log_is_a_few_lines(calls: list[tuple[int, int]], lines: int) -> None:
    stream = io.StringIO()
    progress = StderrProgress("building the index: embedding", stream)
    for done, total in calls:
        progress(done, total)
    text = stream.getvalue()
    assert text.count("\n") == lines
    if calls:
        assert text.splitlines()[-1].startswith("building the index: embedding: 8/8 chunks")
