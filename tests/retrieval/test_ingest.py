"""Incremental, atomic, single-writer ingestion, against both Chroma backends."""

from __future__ import annotations

import dataclasses

import pytest
from retrieval_support import ARTICLES, CountingEmbeddings, MemoEmbeddings, write_kb

from assistant.adapters.articles import load_articles
from assistant.adapters.vectorstore import VectorStore
from assistant.config import Settings
from assistant.errors import EmbeddingMismatchError, IndexLockedError
from assistant.retrieval import Retriever
from assistant.retrieval.chunking import chunk_article
from assistant.retrieval.ingest import ingest
from assistant.retrieval.lexical import Tokenizer


def _retriever(settings: Settings, embeddings: object, tokenizer: Tokenizer) -> Retriever:
    return Retriever(settings, embeddings, tokenizer=tokenizer)  # type: ignore[arg-type]


def test_unchanged_articles_are_not_re_embedded(settings: Settings, e5: MemoEmbeddings,
                                                tokenizer: Tokenizer) -> None:
    counting = CountingEmbeddings(e5)
    with _retriever(settings, counting, tokenizer) as retriever:
        first = retriever.ingest()
        assert first.published and len(first.added) == len(ARTICLES)
        assert first.embedded_chunks == first.chunks == len(counting.documents)

        counting.documents.clear()
        again = retriever.ingest()
        assert not again.published and again.generation == first.generation
        assert counting.documents == []

        edited = settings.kb_dir / "en" / "iam-passrole-not-authorized.md"
        edited.write_text(edited.read_text(encoding="utf-8").replace(
            "limited with iam:PassedToService", "limited with the iam:PassedToService condition key"),
            encoding="utf-8")
        (settings.kb_dir / "ja" / "s3-cross-account-bucket-policy.md").unlink()
        third = retriever.ingest()
        assert third.changed == ("en/iam-passrole-not-authorized",)
        assert third.removed == ("ja/s3-cross-account-bucket-policy",)
        assert third.unchanged == len(ARTICLES) - 2
        # only the edited article's chunks were embedded again
        assert counting.documents and all("PassRole" in t or "EC2" in t for t in counting.documents)

        store = retriever.store
        generation = store.current()
        assert generation is not None and generation.name == third.generation
        records = list(store.records(generation))
        keys = {r.metadata["article_key"] for r in records}
        assert "ja/s3-cross-account-bucket-policy" not in keys
        assert "en/s3-cross-account-bucket-policy" in keys
        passrole = [r for r in records if r.metadata["article_key"] == "en/iam-passrole-not-authorized"]
        assert any("condition key" in r.text for r in passrole)
        assert not any("limited with iam:PassedToService" in r.text for r in passrole)
        assert len(records) == third.chunks
        # the chunk ids are unique and stable: <lang>/<id>#<position>
        assert len({r.id for r in records}) == len(records)

        hit = retriever.search("S3 のバケットにアクセスできない", k=3).hits
        assert all(not (h.id == "s3-cross-account-bucket-policy" and h.lang == "ja") for h in hit)


def test_a_new_tokenizer_re_tokenizes_without_re_embedding(settings: Settings, e5: MemoEmbeddings) -> None:
    counting = CountingEmbeddings(e5)
    with Retriever(settings, counting, tokenizer=Tokenizer("C")) as retriever:
        retriever.ingest()
    counting.documents.clear()
    with Retriever(settings, counting, tokenizer=Tokenizer("B")) as retriever:
        report = retriever.ingest()
        assert report.published and report.embedded_chunks == 0 and counting.documents == []
        generation = retriever.store.current()
        assert generation is not None
        assert {r.metadata["terms_signature"] for r in retriever.store.records(generation)} == {
            Tokenizer("B").signature}
        assert not retriever.ingest().published


def test_rebuild_re_embeds_everything(settings: Settings, e5: MemoEmbeddings, tokenizer: Tokenizer) -> None:
    counting = CountingEmbeddings(e5)
    with _retriever(settings, counting, tokenizer) as retriever:
        first = retriever.ingest()
        counting.documents.clear()
        rebuilt = retriever.ingest(rebuild=True)
        assert rebuilt.published and rebuilt.generation != first.generation
        assert len(counting.documents) == first.chunks


def test_interrupted_ingest_leaves_the_previous_index_queryable(settings: Settings, e5: MemoEmbeddings,
                                                                tokenizer: Tokenizer) -> None:
    with _retriever(settings, e5, tokenizer) as retriever:
        before = retriever.ingest()
        expected = retriever.search("iam:PassRole で EC2 が起動できない", k=3)
    # every article changes, and the model "crashes" (Ctrl-C) after the first batch
    for path in settings.kb_dir.rglob("*.md"):
        path.write_text(path.read_text(encoding="utf-8").replace("updated: 2026-11-28", "updated: 2026-11-29"),
                        encoding="utf-8")
    crashing = CountingEmbeddings(e5, fail_after=2)
    with _retriever(settings, crashing, tokenizer) as retriever:
        with pytest.raises(KeyboardInterrupt):
            ingest(retriever.store, load_articles(settings.kb_dir), tokenizer, batch_size=4)
        assert crashing.document_calls == 2  # it did write part of a new generation
        store = retriever.store
        generation = store.current()
        assert generation is not None and generation.name == before.generation
        assert store.generation_names() == [before.generation]  # the half-built one was dropped
        assert retriever.search("iam:PassRole で EC2 が起動できない", k=3) == expected
        with store.lock():  # and the lock was released
            pass
    # a later ingest finishes the job
    with _retriever(settings, CountingEmbeddings(e5), tokenizer) as retriever:
        after = retriever.ingest()
        assert after.published and len(after.changed) == len(ARTICLES)


def test_a_second_writer_gets_a_clear_lock_error(settings: Settings, e5: MemoEmbeddings,
                                                 tokenizer: Tokenizer) -> None:
    with _retriever(settings, e5, tokenizer) as first, _retriever(settings, e5, tokenizer) as second:
        with first.store.lock(), pytest.raises(IndexLockedError) as caught:
            second.ingest()
        message = str(caught.value)
        assert "another ingest is writing the index" in message and "pid" in message
        assert second.ingest().published  # free again


@pytest.mark.parametrize("owner", [
    {"pid": 2**22 + 7},  # the writer no longer exists
    {"pid": 1, "started": "1234567"},  # the pid now belongs to another process (init started at another time)
], ids=["dead", "pid-reused"])
def test_a_lock_left_by_a_dead_writer_of_this_machine_is_taken_over(settings: Settings, e5: MemoEmbeddings,
                                                                    tokenizer: Tokenizer, owner: dict) -> None:
    import socket

    with _retriever(settings, e5, tokenizer) as retriever:
        retriever.store._client.create_collection(
            "kb-lock", metadata={"host": socket.gethostname(), "since": "then", **owner}, embedding_function=None)
        assert retriever.ingest().published


def test_a_lock_from_another_machine_names_break_lock_which_removes_it(settings: Settings, e5: MemoEmbeddings,
                                                                       tokenizer: Tokenizer) -> None:
    with _retriever(settings, e5, tokenizer) as retriever:
        retriever.store._client.create_collection(
            "kb-lock", metadata={"host": "elsewhere", "pid": 4242, "since": "then"}, embedding_function=None)
        with pytest.raises(IndexLockedError) as caught:
            retriever.ingest()
        message = str(caught.value)
        assert "pid 4242 on 'elsewhere'" in message and "kb-assistant ingest --break-lock" in message
        assert retriever.store.break_lock() == {"host": "elsewhere", "pid": 4242, "since": "then"}
        assert retriever.store.break_lock() is None
        assert retriever.ingest().published


def test_opening_the_index_with_another_model_is_a_clear_error(settings: Settings, e5: MemoEmbeddings,
                                                               tokenizer: Tokenizer) -> None:
    with _retriever(settings, e5, tokenizer) as retriever:
        retriever.ingest()
    other = CountingEmbeddings(e5, model_name="some-other-model")
    with _retriever(settings, other, tokenizer) as retriever:
        with pytest.raises(EmbeddingMismatchError) as caught:
            retriever.search("MFA")
        assert "kb-assistant ingest --rebuild" in str(caught.value)
        assert "some-other-model" in str(caught.value)
        with pytest.raises(EmbeddingMismatchError):
            retriever.ingest()
        assert retriever.ingest(rebuild=True).published
        assert retriever.search("MFA デバイス").hits


def test_the_first_search_builds_the_index(settings: Settings, e5: MemoEmbeddings, tokenizer: Tokenizer) -> None:
    with _retriever(settings, e5, tokenizer) as retriever:
        assert retriever.store.current() is None
        result = retriever.search("ListVirtualMFADevices", k=2)
        assert result.hits[0].id == "mfa-device-registration-denied"
        assert retriever.store.current() is not None


def test_readers_see_whole_generations_only(settings: Settings, e5: MemoEmbeddings, tokenizer: Tokenizer) -> None:
    with _retriever(settings, e5, tokenizer) as writer, _retriever(settings, e5, tokenizer) as reader:
        writer.ingest()
        seen = reader.store.current()
        assert seen is not None
        count = reader.store.count(seen)
        writer_gen = writer.store.create_generation()  # a writer mid-way: not visible to readers
        writer_gen.add_texts(["x"], ["half"], [{"article_key": "en/x"}], embed_texts=["half"])
        current = reader.store.current()
        assert current is not None and current.name == seen.name and reader.store.count(current) == count
        writer_gen.abort()


def test_embedded_index_lives_in_the_data_dir(settings: Settings, e5: MemoEmbeddings, tokenizer: Tokenizer,
                                              backend: str) -> None:
    if backend != "embedded":
        pytest.skip("the server keeps its own files")
    with _retriever(settings, e5, tokenizer) as retriever:
        retriever.ingest()
    assert (settings.data_dir / "chroma").is_dir()
    assert not any(p.name.endswith(".sqlite3") for p in settings.kb_dir.rglob("*"))


def test_chunks_of_an_article_match_the_chunker(settings: Settings, e5: MemoEmbeddings,
                                                tokenizer: Tokenizer) -> None:
    with _retriever(settings, e5, tokenizer) as retriever:
        report = retriever.ingest()
        expected = sum(len(chunk_article(a)) for a in load_articles(settings.kb_dir))
        assert report.chunks == expected


def test_store_refuses_vectors_of_another_size(settings: Settings, e5: MemoEmbeddings) -> None:
    lying = CountingEmbeddings(e5, dimension=12)
    with VectorStore(settings, lying) as store:
        writer = store.create_generation()
        with pytest.raises(EmbeddingMismatchError):
            writer.add_texts(["a"], ["text"], [{"k": 1}], embed_texts=["text"])
        writer.abort()


def test_kb_dataclass_is_frozen() -> None:
    from assistant.retrieval import SearchResult

    result = SearchResult("q", True, ())
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.in_scope = False  # type: ignore[misc]


_ = write_kb
