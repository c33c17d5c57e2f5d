"""UI fixtures: the app's helper package on the path, and the real pipeline over the real knowledge
base with an in-memory stand-in for the vector index (the page logic does not need embeddings).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.adapters.articles import Article, load_articles
from assistant.adapters.iam_catalog import IamDataCatalog
from assistant.adapters.vectorstore import Generation
from assistant.config import Settings
from assistant.pipeline.answer import Assistant
from assistant.retrieval import Hit, SearchResult

REPO = Path(__file__).resolve().parents[2]
UI = REPO / "ui"
APP = UI / "app.py"
if str(UI) not in sys.path:  # `streamlit run ui/app.py` puts ui/ on the path; the tests do the same
    sys.path.insert(0, str(UI))


class _Store:
    """The vector store's status seam: one published generation."""

    def current(self, check: bool = True) -> Generation:
        return Generation("test-generation", "test-embedding", 3, "2026-11-28T00:00:00+00:00")

    def count(self, generation: Generation) -> int:
        return 42


class WordRetriever:
    """Articles whose title or summary shares a word (4+ letters) with the query; in scope when any does."""

    def __init__(self, articles: list[Article]) -> None:
        self.articles = articles
        self.store = _Store()
        self.queries: list[str] = []

    def search(self, query: str, k: int = 5) -> SearchResult:
        self.queries.append(query)
        words = {w.lower().strip(".,?!") for w in query.split() if len(w) >= 4}
        hits = [Hit(a.id, a.lang, a.title, "", 1.0, a.summary) for a in self.articles
                if words & {w.lower().strip(".,?!") for w in (a.title + " " + a.summary).split()}]
        return SearchResult(query, bool(hits), tuple(hits[:k]))


@pytest.fixture(scope="session")
def kb_articles() -> list[Article]:
    return load_articles(REPO / "kb")


@pytest.fixture(scope="session")
def ui_assistant(kb_articles: list[Article], tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """The real pipeline (deterministic mode) with the word retriever."""
    settings = Settings(kb_dir=REPO / "kb", data_dir=tmp_path_factory.mktemp("ui-assistant"))
    retriever: Any = WordRetriever(kb_articles)
    return Assistant(settings, IamDataCatalog(), retriever, kb_articles)


@pytest.fixture
def app(ui_assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The app under AppTest, its shared resource replaced by ``ui_assistant`` and caches emptied."""
    import kbui.resources
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_resource.clear()
    st.cache_data.clear()
    monkeypatch.setattr(kbui.resources, "get_assistant", lambda: ui_assistant)
    yield AppTest.from_file(str(APP), default_timeout=120)
    st.cache_resource.clear()
    st.cache_data.clear()
