"""Hybrid search on the fixture knowledge base, against both Chroma backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from retrieval_support import MemoEmbeddings

from assistant.config import Settings
from assistant.retrieval import Retriever, search_document
from assistant.retrieval.lexical import Tokenizer


@pytest.fixture
def retriever(settings: Settings, e5: MemoEmbeddings, tokenizer: Tokenizer) -> Iterator[Retriever]:
    with Retriever(settings, e5, tokenizer=tokenizer) as built:
        built.ingest()
        yield built


@pytest.mark.parametrize("query", [
    "コンソールで ListVirtualMFADevices が拒否されて先に進めません",
    "ポリシーに BoolIfExists を使っているのですが、サインイン直後に拒否されます",
])
def test_english_identifiers_in_a_japanese_sentence_match_lexically(retriever: Retriever, query: str) -> None:
    lexical = retriever.rank(query, "lexical")
    assert lexical.articles[0].article_id == "mfa-device-registration-denied"
    result = retriever.search(query, k=3)
    assert result.in_scope
    assert result.hits[0].id == "mfa-device-registration-denied"
    assert result.hits[0].lang == "ja"


def test_passrole_in_japanese(retriever: Retriever) -> None:
    result = retriever.search("EC2 を起動するときに PassRole のエラーが出ます", k=2)
    assert result.hits[0].id == "iam-passrole-not-authorized" and result.hits[0].lang == "ja"


def test_query_language_is_preferred(retriever: Retriever) -> None:
    english = retriever.search("I cannot download objects from a bucket in another account", k=3)
    assert english.hits[0].id == "s3-cross-account-bucket-policy" and english.hits[0].lang == "en"
    japanese = retriever.search("別のアカウントのバケットからダウンロードできません", k=3)
    assert japanese.hits[0].id == "s3-cross-account-bucket-policy" and japanese.hits[0].lang == "ja"


def test_results_are_articles_best_chunk_each(retriever: Retriever) -> None:
    result = retriever.search("MFA device registration denied ListVirtualMFADevices", k=10)
    ids = [h.id for h in result.hits]
    assert len(ids) == len(set(ids)) == 3  # three article ids in the fixture kb
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    top = result.hits[0]
    assert top.title and top.section and top.text and 0 < top.score <= 1


def test_a_pasted_error_message_finds_its_article(retriever: Retriever) -> None:
    pasted = ("こんなエラーが出ました: User: arn:aws:iam::123456789012:user/alice is not authorized to perform: "
              "iam:ListVirtualMFADevices on resource: arn:aws:iam::123456789012:mfa/ with an explicit deny")
    assert retriever.search(pasted, k=1).hits[0].id == "mfa-device-registration-denied"


@pytest.mark.parametrize("query", [
    "Azure で仮想マシンのロール割り当てができません",
    "How do I configure IAM roles in Google Cloud for BigQuery datasets?",
    "こんにちは、今日はいい天気ですね",
    "What's a good recipe for banana bread?",
])
def test_out_of_scope_questions_are_not_in_scope(retriever: Retriever, query: str) -> None:
    assert not retriever.search(query, k=3).in_scope


def test_empty_query(retriever: Retriever) -> None:
    result = retriever.search("   ", k=3)
    assert not result.in_scope and result.hits == ()


def test_search_document_shape(retriever: Retriever) -> None:
    document = search_document(retriever.search("iam:PassRole", k=2))
    assert set(document) == {"query", "in_scope", "results"}
    assert document["query"] == "iam:PassRole" and document["in_scope"] is True
    assert len(document["results"]) == 2
    for item in document["results"]:
        assert set(item) == {"id", "lang", "title", "section", "score"}
        assert isinstance(item["score"], float)
    assert next(iter(search_document(retriever.search("x", k=1), id="q1"))) == "id"


def test_a_new_generation_is_picked_up_by_a_live_retriever(settings: Settings, retriever: Retriever,
                                                           e5: MemoEmbeddings, tokenizer: Tokenizer) -> None:
    assert retriever.search("ListVirtualMFADevices", k=1).hits[0].id == "mfa-device-registration-denied"
    for lang in ("ja", "en"):
        (settings.kb_dir / lang / "mfa-device-registration-denied.md").unlink()
    with Retriever(settings, e5, tokenizer=tokenizer) as writer:
        assert writer.ingest().published
    ids = [h.id for h in retriever.search("ListVirtualMFADevices", k=5).hits]
    assert "mfa-device-registration-denied" not in ids
