"""The public API of the retrieval modules is their explicit ``__all__``."""

from __future__ import annotations

import importlib
import inspect

import pytest

MODULES = ["assistant.retrieval", "assistant.retrieval.chunking", "assistant.retrieval.fusion",
           "assistant.retrieval.ingest", "assistant.retrieval.lexical", "assistant.retrieval.metrics",
           "assistant.retrieval.results", "assistant.retrieval.retriever", "assistant.retrieval.scope",
           "assistant.adapters.embeddings", "assistant.adapters.vectorstore", "assistant.adapters.chroma_server"]


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_exactly_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert all(hasattr(module, n) for n in exported)
    defined = {n for n, v in vars(module).items()
               if not n.startswith("_") and (inspect.isclass(v) or inspect.isfunction(v))
               and getattr(v, "__module__", None) == name}
    assert defined <= exported, defined - exported
    assert module.__doc__ and len(module.__doc__.strip().splitlines()) >= 2
