"""The public API of the evaluation modules is their explicit ``__all__``; importing it stays light."""

from __future__ import annotations

import subprocess
import sys


def test_browsing_runs_loads_no_model_or_store() -> None:
    # (langchain_core comes in with assistant.retrieval, whose metrics the harness shares)
    code = ("import sys, assistant.evaluation as e; e.list_runs; "
            "print(sorted(m for m in ('openai', 'chromadb', 'sudachipy', 'streamlit') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
