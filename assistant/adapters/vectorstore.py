"""The vector index: Chroma (new generations filled through ``langchain-chroma``), cosine space, telemetry off.

An index is a sequence of immutable *generations* (one Chroma collection each, ``kb-gen-…``) and a
small pointer collection (``kb-current``) whose metadata names the live one. A writer fills a new
generation and then switches the pointer in one metadata update, so readers see the old index or
the new one, never half of one; the previous generation is kept for readers still on it. Writers
take a lock (``kb-lock``, created atomically) so there is one at a time. Both live in Chroma, so
the same scheme holds for the embedded ``PersistentClient`` and a shared Chroma server.
Every collection records the embedding model and dimension; opening one with another model raises
``EmbeddingMismatchError``. Chroma's own errors are translated here, into ``IndexError_``.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from langchain_core.embeddings import Embeddings

from assistant.adapters.embeddings import EmbeddingIdentity, embedding_identity
from assistant.config import Settings
from assistant.errors import AssistantError, EmbeddingMismatchError, IndexError_, IndexLockedError, UsageError

__all__ = [
    "GENERATION_PREFIX",
    "Generation",
    "GenerationWriter",
    "Match",
    "Record",
    "VectorStore",
    "close_chroma_client",
    "make_chroma_client",
    "translate_chroma_error",
]

GENERATION_PREFIX = "kb-gen-"
_POINTER = "kb-current"
_LOCK = "kb-lock"
_SPACE = {"hnsw": {"space": "cosine"}}
_REBUILD_HINT = "run `kb-assistant ingest --rebuild`"

Scalar = str | int | float | bool
_T = TypeVar("_T")


@dataclass(frozen=True)
class Record:
    """One stored chunk: id, text, flat metadata and (when asked for) its vector."""

    id: str
    text: str
    metadata: Mapping[str, Scalar]
    embedding: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Match:
    """A record found by vector search with its cosine similarity (1 - cosine distance)."""

    record: Record
    similarity: float


@dataclass(frozen=True)
class Generation:
    """One published, immutable index generation."""

    name: str
    model: str
    dimension: int
    published: str


def translate_chroma_error(exc: BaseException, action: str) -> IndexError_:
    """The project error for a failure of Chroma (or of the HTTP link to a Chroma server)."""
    detail = str(exc).strip() or type(exc).__name__
    return IndexError_(f"vector index: cannot {action}: {type(exc).__name__}: {detail}",
                       hint=f"if the index is damaged, {_REBUILD_HINT}")


def _foreign_errors() -> tuple[type[BaseException], ...]:
    import httpx
    from chromadb.errors import ChromaError

    # chromadb raises ValueError for an unreachable server and for rejected arguments
    return (ChromaError, httpx.HTTPError, ValueError, OSError)


def _chroma(action: str, call: Callable[[], _T]) -> _T:
    try:
        return call()
    except _foreign_errors() as exc:
        raise translate_chroma_error(exc, action) from exc


def make_chroma_client(settings: Settings) -> Any:
    """A Chroma client: ``HttpClient`` when ``chroma_host`` is set, else ``PersistentClient``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                       settings=chroma_settings)
        except _foreign_errors() as exc:
            raise IndexError_(
                f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port}: {exc}",
                hint="start it (`chroma run`) or unset CHROMA_HOST to use the embedded index",
            ) from exc
    data_dir = settings.data_dir.resolve()
    if data_dir.is_relative_to(settings.kb_dir.resolve()):
        raise UsageError(f"the data directory '{settings.data_dir}' is inside the knowledge base "
                         f"'{settings.kb_dir}'", hint="set KB_ASSISTANT_DATA_DIR to a folder outside kb/")
    path = data_dir / "chroma"
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except _foreign_errors() as exc:
        raise translate_chroma_error(exc, f"open the index in '{path}'") from exc


def close_chroma_client(client: Any) -> None:
    """Close a Chroma client, including the HTTP connection pool that ``close()`` leaves open."""
    import contextlib

    owners = (client, getattr(client, "_admin_client", None))
    sessions = [getattr(getattr(o, "_server", None), "_session", None) for o in owners]
    with contextlib.suppress(*_foreign_errors()):
        client.close()
    for session in sessions:
        if session is not None and hasattr(session, "close"):
            session.close()  # each HttpClient has a system of its own: nothing else uses this pool


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class GenerationWriter:
    """Fills one new generation; ``publish`` makes it live, ``abort`` drops it."""

    def __init__(self, store: VectorStore, name: str, vectors: Any, collection: Any) -> None:
        self.name = name
        self._store = store
        self._vectors = vectors  # langchain_chroma.Chroma over the new collection
        self._collection = collection
        self._batch = store.max_batch
        self.closed = False

    def add_texts(self, ids: Sequence[str], texts: Sequence[str], metadatas: Sequence[Mapping[str, Scalar]],
                  embed_texts: Sequence[str] | None = None) -> None:
        """Embed and add ``texts``; with ``embed_texts``, those are embedded in their stead (same order)."""
        if embed_texts is not None:
            vectors = self._store.embed_documents(list(embed_texts))
            self.add_records([Record(i, t, m, tuple(v))
                              for i, t, m, v in zip(ids, texts, metadatas, vectors, strict=True)])
            return
        for start in range(0, len(ids), self._batch):
            end = start + self._batch
            _chroma("add chunks", lambda s=start, e=end: self._vectors.add_texts(  # type: ignore[misc]
                texts=list(texts[s:e]), metadatas=[dict(m) for m in metadatas[s:e]], ids=list(ids[s:e])))

    def add_records(self, records: Sequence[Record]) -> None:
        """Add records that already carry their vectors (copied from a previous generation)."""
        for start in range(0, len(records), self._batch):
            batch = records[start : start + self._batch]
            _chroma("copy chunks", lambda b=batch: self._collection.add(  # type: ignore[misc]
                ids=[r.id for r in b], documents=[r.text for r in b],
                metadatas=[dict(r.metadata) for r in b],
                embeddings=[list(r.embedding or ()) for r in b]))

    def publish(self) -> Generation:
        """Switch the pointer to this generation, then drop generations older than the previous one."""
        generation = self._store._publish(self.name)
        self.closed = True
        return generation

    def abort(self) -> None:
        """Drop the unpublished generation (best effort: leftovers are collected by the next publish)."""
        if not self.closed:
            self.closed = True
            self._store._drop(self.name)


class VectorStore:
    """Generations of chunk records in Chroma, for one embedding model."""

    def __init__(self, settings: Settings, embeddings: Embeddings, *, client: Any | None = None,
                 identity: EmbeddingIdentity | None = None) -> None:
        self._embeddings = embeddings
        self.identity = identity or embedding_identity(embeddings)
        self._owns_client = client is None
        self._client = make_chroma_client(settings) if client is None else client
        self.location = (f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
                         if settings.chroma_host else f"'{settings.data_dir / 'chroma'}'")
        self._readers: dict[str, tuple[Any, int]] = {}
        self.max_batch = min(1000, int(_chroma("ask the batch size", self._client.get_max_batch_size)))

    def known_vectors(self, texts: list[str]) -> dict[int, list[float]]:
        """The vectors of ``texts`` the model need not compute (shipped or cached), by position."""
        known = getattr(self._embeddings, "known", None)
        vectors: dict[int, list[float]] = known(texts) if callable(known) else {}
        self._check_sizes(vectors.values())
        return vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Document vectors from the store's model; a foreign model's failure becomes ``IndexError_``."""
        try:
            vectors = self._embeddings.embed_documents(texts)
        except AssistantError:
            raise
        except Exception as exc:  # any embedding backend: its failure is reported as ours
            raise IndexError_(f"cannot embed chunks with '{self.identity.model}': "
                              f"{type(exc).__name__}: {exc}") from exc
        self._check_sizes(vectors)
        return vectors

    def _check_sizes(self, vectors: Iterable[Sequence[float]]) -> None:
        if any(len(v) != self.identity.dimension for v in vectors):
            raise EmbeddingMismatchError(
                f"the model '{self.identity.model}' returned vectors of another size than "
                f"{self.identity.dimension}", hint=_REBUILD_HINT)

    # -- reading ---------------------------------------------------------------------------------

    def current(self, check: bool = True) -> Generation | None:
        """The live generation (None before the first publish); ``check`` refuses another model."""
        import chromadb.errors

        try:
            pointer = self._client.get_collection(_POINTER, embedding_function=None)
        except chromadb.errors.NotFoundError:
            return None
        except _foreign_errors() as exc:
            raise translate_chroma_error(exc, "read the index pointer") from exc
        meta = pointer.metadata or {}
        if not meta.get("generation"):
            return None
        generation = Generation(str(meta["generation"]), str(meta.get("model", "")),
                                int(meta.get("dimension", 0)), str(meta.get("published", "")))
        if check:
            self.check_model(generation)
        return generation

    def check_model(self, generation: Generation) -> None:
        """Raise ``EmbeddingMismatchError`` when ``generation`` was built with another model."""
        if (generation.model, generation.dimension) != (self.identity.model, self.identity.dimension):
            raise EmbeddingMismatchError(
                f"the index in {self.location} was built with '{generation.model}' "
                f"({generation.dimension} dimensions) but the configured model is "
                f"'{self.identity.model}' ({self.identity.dimension} dimensions)",
                hint=_REBUILD_HINT,
            )

    def _reader(self, name: str) -> tuple[Any, int]:
        if name not in self._readers:
            import chromadb.errors

            try:
                collection = self._client.get_collection(name, embedding_function=None)
            except chromadb.errors.NotFoundError as exc:
                raise IndexError_(f"index generation '{name}' has disappeared",
                                  hint="retry; if it persists, " + _REBUILD_HINT) from exc
            except _foreign_errors() as exc:
                raise translate_chroma_error(exc, f"open generation '{name}'") from exc
            self._readers = {name: (collection, int(_chroma("count chunks", collection.count)))}
        return self._readers[name]

    def count(self, generation: Generation) -> int:
        """Number of chunks in ``generation``."""
        return self._reader(generation.name)[1]

    def search(self, generation: Generation, vector: Sequence[float], k: int) -> list[Match]:
        """The ``k`` records nearest to ``vector`` (cosine), best first."""
        # the collection is queried directly: LangChain's wrapper adds a second of imports to every process
        # that only reads (the writer uses it)
        collection, size = self._reader(generation.name)
        if size == 0 or k <= 0:
            return []
        found = _chroma("search", lambda: collection.query(query_embeddings=[list(vector)], n_results=min(k, size),
                                                            include=["documents", "metadatas", "distances"]))
        return [Match(Record(str(rid), text or "", dict(meta or {})), 1.0 - float(distance))
                for rid, text, meta, distance in zip(found["ids"][0], found["documents"][0], found["metadatas"][0],
                                                     found["distances"][0], strict=True)]

    def records(self, generation: Generation | str, *, embeddings: bool = False,
                page: int = 1000) -> Iterator[Record]:
        """Every record of a generation, in pages (with vectors when ``embeddings``)."""
        name = generation if isinstance(generation, str) else generation.name
        collection = _chroma(f"open generation '{name}'",
                             lambda: self._client.get_collection(name, embedding_function=None))
        include = ["documents", "metadatas", "embeddings"] if embeddings else ["documents", "metadatas"]
        offset = 0
        while True:
            got = _chroma("read chunks", lambda o=offset: collection.get(  # type: ignore[misc]
                limit=page, offset=o, include=include))
            ids = got["ids"]
            if not ids:
                return
            vectors = got.get("embeddings") if embeddings else None
            for i, rid in enumerate(ids):
                vector = tuple(float(x) for x in vectors[i]) if vectors is not None else None
                yield Record(rid, got["documents"][i] or "", dict(got["metadatas"][i] or {}), vector)
            offset += len(ids)

    # -- writing ---------------------------------------------------------------------------------

    def create_generation(self) -> GenerationWriter:
        """A new, empty, unpublished generation (call under ``lock``)."""
        from langchain_chroma import Chroma

        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"{GENERATION_PREFIX}{stamp}-{secrets.token_hex(3)}"
        metadata = {"model": self.identity.model, "dimension": self.identity.dimension, "created": _now()}
        collection = _chroma("create a generation", lambda: self._client.create_collection(
            name, metadata=metadata, configuration=_SPACE, embedding_function=None))
        vectors = _chroma("create a generation", lambda: Chroma(
            client=self._client, collection_name=name, embedding_function=self._embeddings,
            collection_metadata=metadata, collection_configuration=_SPACE))  # type: ignore[arg-type]
        return GenerationWriter(self, name, vectors, collection)

    def _publish(self, name: str) -> Generation:
        previous = self.current(check=False)
        generation = Generation(name, self.identity.model, self.identity.dimension, _now())
        pointer = _chroma("create the index pointer", lambda: self._client.get_or_create_collection(
            _POINTER, embedding_function=None))
        _chroma("switch the index pointer", lambda: pointer.modify(metadata={
            "generation": name, "model": generation.model, "dimension": generation.dimension,
            "published": generation.published}))
        keep = {name} | ({previous.name} if previous else set())
        for old in self.generation_names():
            if old not in keep:
                self._drop(old)
        return generation

    def generation_names(self) -> list[str]:
        """Names of every generation collection, published or not."""
        names = _chroma("list collections", lambda: [getattr(c, "name", c) for c in
                                                      self._client.list_collections()])
        return sorted(str(n) for n in names if str(n).startswith(GENERATION_PREFIX))

    def _drop(self, name: str) -> None:
        import contextlib

        self._readers.pop(name, None)
        with contextlib.suppress(*_foreign_errors()):
            self._client.delete_collection(name)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the single-writer lock; raise ``IndexLockedError`` when another writer has it."""
        owner: dict[str, Scalar] = {"host": socket.gethostname(), "pid": os.getpid(), "since": _now(),
                                    "started": _process_start(os.getpid())}
        self._acquire(owner)
        try:
            yield
        finally:
            self._drop_lock()

    def _acquire(self, owner: Mapping[str, Scalar]) -> None:
        import chromadb.errors

        for _attempt in range(2):
            try:
                self._client.create_collection(_LOCK, metadata=dict(owner), embedding_function=None)
                return
            except _foreign_errors() as exc:
                holder = self._lock_holder()
                if holder is None:
                    if isinstance(exc, chromadb.errors.ChromaError | ValueError) and _attempt == 0:
                        continue  # released between our two calls
                    raise translate_chroma_error(exc, "take the ingest lock") from exc
                if holder.get("host") == owner["host"] and not _alive(int(holder.get("pid", 0)),
                                                                    str(holder.get("started", ""))):
                    self._drop_lock()  # left behind by a writer of this machine that died
                    continue
                raise IndexLockedError(
                    f"another ingest is writing the index in {self.location} "
                    f"(pid {holder.get('pid')} on '{holder.get('host')}' since {holder.get('since')})",
                    hint="wait for it to finish; if no ingest is running (it was killed on another machine, "
                         "say), run `kb-assistant ingest --break-lock`",
                ) from None
        raise IndexLockedError(f"cannot take the ingest lock of the index in {self.location}",
                               hint="wait for the other ingest to finish and run the command again")

    def break_lock(self) -> dict[str, Any] | None:
        """Remove the ingest lock whoever holds it; returns the holder it had (None when unlocked)."""
        holder = self._lock_holder()
        if holder is not None:
            self._drop_lock()
        return holder

    def _lock_holder(self) -> dict[str, Any] | None:
        import chromadb.errors

        try:
            return dict(self._client.get_collection(_LOCK, embedding_function=None).metadata or {})
        except chromadb.errors.NotFoundError:
            return None
        except _foreign_errors() as exc:
            raise translate_chroma_error(exc, "read the ingest lock") from exc

    def _drop_lock(self) -> None:
        import contextlib

        with contextlib.suppress(*_foreign_errors()):
            self._client.delete_collection(_LOCK)

    def close(self) -> None:
        """Release the client when this store created it."""
        self._readers.clear()
        if self._owns_client:
            close_chroma_client(self._client)
            self._owns_client = False

    def __enter__(self) -> VectorStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _process_start(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot, from /proc), or "" where that is unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[19]
    except (OSError, IndexError):
        return ""


def _alive(pid: int, started: str = "") -> bool:
    """Whether the writer ``pid`` still runs: a live process with another start time is not it (pid reuse)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    now = _process_start(pid)
    return not (started and now and now != started)

