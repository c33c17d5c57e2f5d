"""The public API of the evaluation modules is their explicit ``__all__``; importing it stays light."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest

MODULES = ["assistant.evaluation", "assistant.evaluation.compare", "assistant.evaluation.dataset",
           "assistant.evaluation.judge", "assistant.evaluation.report", "assistant.evaluation.runner",
           "assistant.evaluation.runs", "assistant.evaluation.scoring", "assistant.evaluation.session",
           "assistant.evaluation.summary", "assistant.evaluation.systems", "assistant.evaluation.thresholds"]


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


def test_browsing_runs_loads_no_model_or_store() -> None:
    # (langchain_core comes in with assistant.retrieval, whose metrics the harness shares)
    code = ("import sys, assistant.evaluation as e; e.list_runs; "
            "print(sorted(m for m in ('openai', 'chromadb', 'sudachipy', 'streamlit') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
