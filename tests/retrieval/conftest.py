"""Fixtures for retrieval: the real embedding model and the two Chroma backends (embedded, and a real
``chroma run`` server on loopback started once per session).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from retrieval_support import MemoEmbeddings, write_kb

from assistant.adapters.chroma_server import ChromaServer
from assistant.adapters.embeddings import E5Embeddings
from assistant.adapters.vectorstore import close_chroma_client
from assistant.config import Settings
from assistant.retrieval.lexical import Tokenizer


@pytest.fixture(scope="session")
def e5() -> MemoEmbeddings:
    """The bundled multilingual-e5-small, shared by the session (cached per text)."""
    return MemoEmbeddings(E5Embeddings())


@pytest.fixture(scope="session")
def tokenizer() -> Tokenizer:
    """One Sudachi tokenizer for the session."""
    return Tokenizer()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """A real ``chroma run`` on 127.0.0.1 and a free port, for the whole session."""
    with ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db") as server:
        yield server


def _wipe(server: ChromaServer) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.HttpClient(host=server.host, port=server.port,
                                 settings=ChromaSettings(anonymized_telemetry=False))
    try:
        for collection in client.list_collections():
            client.delete_collection(collection.name)
    finally:
        close_chroma_client(client)


@pytest.fixture(params=["embedded", "server"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test against the embedded index and against the Chroma server (emptied first)."""
    if request.param == "server":
        server: ChromaServer = request.getfixturevalue("chroma_server")
        _wipe(server)
        monkeypatch.setenv("CHROMA_HOST", server.host)
        monkeypatch.setenv("CHROMA_PORT", str(server.port))
    return str(request.param)


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """The fixture knowledge base, written to tmp_path."""
    return write_kb(tmp_path / "kb")


@pytest.fixture
def settings(kb: Path, backend: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings from the (test-controlled) environment, pointing at the fixture kb."""
    monkeypatch.setenv("KB_ASSISTANT_KB_DIR", str(kb))
    return Settings.from_env()
