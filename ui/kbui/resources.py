"""Process-wide, read-only resources for every session: the settings and the assistant (catalog,
retriever, articles, model). ``st.cache_resource`` holds nothing else; a user's conversation and
feedback live in ``st.session_state`` and in the feedback store.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

import streamlit as st

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.feedback import FeedbackStore
from assistant.pipeline.answer import Assistant

__all__ = ["feedback_store", "get_assistant", "index_facts", "settings"]

_log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """The configuration, read once from the environment."""
    return Settings.from_env()


@st.cache_resource(show_spinner=False)
def get_assistant() -> Assistant:
    """The one assistant of the process (slow to build; shared read-only by every session).

    The index is readied in the background (built on a fresh machine, loaded otherwise) so that the
    first question does not pay for it; a question asked meanwhile waits for the same build."""
    assistant = Assistant.from_settings(settings())
    threading.Thread(target=_warm, args=(assistant,), name="kb-index-warmup", daemon=True).start()
    return assistant


def _warm(assistant: Assistant) -> None:
    try:
        assistant.retriever.search("MFA", k=1)
    except AssistantError as exc:  # the first question reports it in the page
        _log.warning("index warm-up failed: %s", exc)
    finally:
        index_facts.clear()


def feedback_store() -> FeedbackStore:
    """The feedback store (a path, opened per call; not cached: it is written to)."""
    return FeedbackStore.from_settings(settings())


def _changed_since(assistant: Assistant, published: str) -> bool:
    """Whether an article file was modified after the index generation was published."""
    try:
        built = datetime.fromisoformat(published)
    except ValueError:
        return False
    if built.tzinfo is None:
        built = built.replace(tzinfo=UTC)
    try:
        newest = max((a.path.stat().st_mtime for a in assistant.articles.values()), default=0.0)
    except OSError:
        return False
    return newest > built.timestamp()


@st.cache_data(ttl=30, show_spinner=False)
def index_facts(_assistant: Assistant) -> dict[str, Any]:
    """``Assistant.status()`` plus the live index generation's time and size, refreshed every 30 s."""
    status = dict(_assistant.status())
    index = dict(status.get("index") or {})
    if "published" not in index:
        try:
            store = _assistant.retriever.store
            generation = store.current(check=False)
            if generation is not None:
                index.update(published=generation.published, chunks=store.count(generation),
                             embedding=generation.model)
            index["built"] = generation is not None
        except AssistantError as exc:
            index["error"] = str(exc)
    if index.get("published"):
        index["stale"] = _changed_since(_assistant, str(index["published"]))
    status["index"] = index
    status["kb_updated"] = max((str(a.updated) for a in _assistant.articles.values()), default="")
    return status
