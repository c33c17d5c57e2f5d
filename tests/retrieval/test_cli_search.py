"""``kb-assistant ingest`` and ``kb-assistant search`` (``--json``, ``--batch``), in process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import invoke
from retrieval_support import ARTICLES, MemoEmbeddings

from assistant.config import Settings
from assistant.retrieval import Retriever
from assistant.retrieval.lexical import Tokenizer


@pytest.fixture
def indexed(settings: Settings, e5: MemoEmbeddings, tokenizer: Tokenizer) -> Settings:
    """The fixture kb already indexed (with the session's cached model), so the CLI only searches."""
    with Retriever(settings, e5, tokenizer=tokenizer) as retriever:
        retriever.ingest()
    return settings


def _run(*args: str) -> tuple[int, str, str]:
    return invoke(*args)


def test_first_search_builds_the_index_then_ingest_is_incremental(settings: Settings, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # a cache of its own: these chunks are neither shipped nor cached, so the model embeds them, with progress
    monkeypatch.setenv("KB_ASSISTANT_EMBEDDING_CACHE", str(tmp_path / "fresh-cache.sqlite3"))
    code, out, err = _run("search", "ListVirtualMFADevices が拒否される", "-k", "2", "--json")
    assert code == 0, err
    progress = err.splitlines()
    assert progress[0].startswith("building the index: embedding: 0/") and "/" in progress[-1]
    done, total = progress[-1].split(": ")[2].split()[0].split("/")
    assert done == total != "0"
    document = json.loads(out)
    assert set(document) == {"query", "in_scope", "results"}
    assert document["in_scope"] is True
    assert document["results"][0]["id"] == "mfa-device-registration-denied"
    assert document["results"][0]["lang"] == "ja"
    assert set(document["results"][0]) == {"id", "lang", "title", "section", "score"}
    assert len(document["results"]) == 2
    assert out.count("\n") == 1  # one document, nothing else on stdout

    code, out, err = _run("ingest", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["published"] is False and report["embedded_chunks"] == 0

    code, out, err = _run("search", "banana bread recipe")
    assert code == 0 and "out of scope" in out

    code, out, err = _run("ingest", "--break-lock")  # no lock to break: nothing said about one
    ids = {article_id for article_id, _ in ARTICLES}
    assert code == 0 and out == "" and "lock" not in err
    assert err.startswith(f"{len(ids)} articles ({len(ARTICLES)} files): 0 added") and "up to date" in err


def test_batch_search_one_line_per_query_in_order(indexed: Settings, tmp_path: Path) -> None:
    batch = tmp_path / "queries.jsonl"
    lines = [{"id": "q1", "query": "EC2 で iam:PassRole が拒否された"},
             {"id": "q2", "query": "cross-account S3 bucket policy AccessDenied"},
             {"id": 3, "query": "今日の天気は?"}]
    batch.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n", encoding="utf-8")
    code, out, err = _run("search", "--batch", str(batch), "-k", "3", "--json")
    assert code == 0, err
    documents = [json.loads(line) for line in out.splitlines()]
    assert [d["id"] for d in documents] == ["q1", "q2", 3]
    assert documents[0]["results"][0]["id"] == "iam-passrole-not-authorized"
    assert documents[1]["results"][0]["id"] == "s3-cross-account-bucket-policy"
    assert documents[2]["in_scope"] is False
    assert all(len(d["results"]) == 3 for d in documents)


def test_batch_with_a_bad_line_reports_it_and_goes_on(indexed: Settings, tmp_path: Path) -> None:
    batch = tmp_path / "queries.jsonl"
    batch.write_text('{"id": "a", "query": "PassRole"}\nnot json\n{"id": "c"}\n', encoding="utf-8")
    code, out, _err = _run("search", "--batch", str(batch), "--json")
    assert code == 1
    documents = [json.loads(line) for line in out.splitlines()]
    assert documents[0]["id"] == "a" and "results" in documents[0]
    assert "error" in documents[1] and documents[2] == {"id": "c", "error": documents[2]["error"]}


@pytest.mark.parametrize("args", [
    ("search",),
    ("search", "q", "--batch", "x.jsonl"),
    ("search", "q", "-k", "0"),
    ("search", "--batch", "/nonexistent/queries.jsonl", "--json"),
])
def test_bad_usage_exits_2(settings: Settings, args: tuple[str, ...]) -> None:
    code, out, err = _run(*args)
    assert code == 2 and out == "" and err.startswith("error: ")


def test_index_errors_exit_2_with_a_one_line_hint(indexed: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_ASSISTANT_EMBEDDING", "no-such-model")
    code, out, err = _run("search", "MFA", "--json")
    assert code == 2 and out == ""
    assert "unknown embedding model 'no-such-model'" in err and "KB_ASSISTANT_EMBEDDING" in err


def test_ingest_while_another_writer_holds_the_lock(indexed: Settings, e5: MemoEmbeddings) -> None:
    from assistant.adapters.vectorstore import VectorStore

    with VectorStore(indexed, e5) as store, store.lock():
        code, out, err = _run("ingest", "--rebuild")
    assert code == 2 and out == ""
    assert err.startswith("error: another ingest is writing the index") and err.count("\n") == 1
    assert "hint: wait for it to finish" in err
