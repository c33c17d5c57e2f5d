"""The Chroma vector store: generations, pointer, lock, settings, and error translation."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

import chromadb.errors
import pytest
from langchain_core.embeddings import Embeddings

from assistant.adapters import vectorstore as module
from assistant.adapters.chroma_server import ChromaServer
from assistant.adapters.vectorstore import VectorStore, make_chroma_client, translate_chroma_error
from assistant.config import Settings
from assistant.errors import IndexError_, UsageError


class _Axes(Embeddings):
    """A tiny deterministic model: text 'a' → x axis, 'b' → y axis, anything else → z."""

    model_name = "axes"
    dimension = 3

    def _vector(self, text: str) -> list[float]:
        return {"a": [1.0, 0.0, 0.0], "b": [0.0, 1.0, 0.0]}.get(text, [0.0, 0.0, 1.0])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    with ChromaServer(tmp_path_factory.mktemp("vs-server") / "db") as running:
        yield running


@pytest.fixture(params=["embedded", "server"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    base = Settings(kb_dir=tmp_path / "kb", data_dir=tmp_path / "data")
    if request.param == "embedded":
        return base
    running: ChromaServer = request.getfixturevalue("server")
    settings = Settings(kb_dir=base.kb_dir, data_dir=base.data_dir, chroma_host=running.host,
                        chroma_port=running.port)
    with VectorStore(settings, _Axes()) as store:  # start from an empty server
        for name in [*store.generation_names(), "kb-current", "kb-lock"]:
            store._drop(name)
    return settings


def test_generations_pointer_and_cosine_search(settings: Settings) -> None:
    with VectorStore(settings, _Axes()) as store:
        assert store.current() is None
        first = store.create_generation()
        first.add_texts(["1", "2"], ["a", "b"], [{"n": 1}, {"n": 2}])
        assert store.current() is None  # not published yet
        one = first.publish()
        assert store.current() == one
        matches = store.search(one, [1.0, 0.1, 0.0], 2)
        assert [m.record.id for m in matches] == ["1", "2"]
        assert matches[0].similarity == pytest.approx(0.995, abs=1e-3)
        assert matches[0].record.metadata == {"n": 1} and matches[0].record.text == "a"
        records = list(store.records(one, embeddings=True))
        assert sorted(r.id for r in records) == ["1", "2"] and records[0].embedding is not None

        second = store.create_generation()
        second.add_records(records)
        two = second.publish()
        third = store.create_generation()
        three = third.publish()
        # the live and the previous generation are kept, older ones collected
        assert store.generation_names() == sorted([two.name, three.name])
        assert store.search(three, [1.0, 0.0, 0.0], 5) == []
        assert one.name not in store.generation_names()


def test_collections_record_the_model(settings: Settings) -> None:
    with VectorStore(settings, _Axes()) as store:
        writer = store.create_generation()
        generation = writer.publish()
        collection = store._client.get_collection(generation.name, embedding_function=None)
        assert collection.metadata["model"] == "axes" and collection.metadata["dimension"] == 3
        assert (generation.model, generation.dimension) == ("axes", 3)


def test_embedded_client_has_telemetry_off(tmp_path: Path) -> None:
    client = make_chroma_client(Settings(kb_dir=tmp_path / "kb", data_dir=tmp_path / "data"))
    try:
        assert client.get_settings().anonymized_telemetry is False
    finally:
        module.close_chroma_client(client)


def test_data_dir_inside_kb_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="inside the knowledge base"):
        make_chroma_client(Settings(kb_dir=tmp_path / "kb", data_dir=tmp_path / "kb" / "data"))


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    from assistant.adapters.chroma_server import free_port

    settings = Settings(kb_dir=tmp_path / "kb", data_dir=tmp_path / "data", chroma_host="127.0.0.1",
                        chroma_port=free_port())
    with pytest.raises(IndexError_) as caught:
        VectorStore(settings, _Axes())
    assert "cannot reach the Chroma server at 127.0.0.1" in str(caught.value)
    assert "CHROMA_HOST" in str(caught.value)


def _chroma_error_classes() -> list[type[BaseException]]:
    return [c for _, c in inspect.getmembers(chromadb.errors, inspect.isclass)
            if issubclass(c, chromadb.errors.ChromaError)]


@pytest.mark.parametrize("error_class", _chroma_error_classes(), ids=lambda c: c.__name__)
def test_every_chroma_error_is_translated(error_class: type[BaseException]) -> None:
    error = error_class.__new__(error_class)
    Exception.__init__(error, "boom")

    def failing() -> None:
        raise error

    with pytest.raises(IndexError_) as caught:
        module._chroma("do something", failing)
    assert caught.value.__cause__ is error
    assert "cannot do something" in str(caught.value)
    assert "kb-assistant ingest --rebuild" in str(caught.value)


def test_transport_errors_are_translated() -> None:
    import httpx

    translated = translate_chroma_error(httpx.ConnectError("refused"), "search")
    assert isinstance(translated, IndexError_) and "refused" in str(translated)
