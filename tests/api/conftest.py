"""Fixtures for the HTTP API: real uvicorn servers on 127.0.0.1, driven over real HTTP.

One data directory and one ``Assistant`` (index built once, on a slice of the real kb/) serve the
session; each server is uvicorn in a thread on a socket bound to a free port, around ``create_app``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from api_support import TOKEN, serve_in_thread

from assistant.api import create_app
from assistant.config import Settings
from assistant.pipeline.answer import Assistant

REPO = Path(__file__).resolve().parents[2]
KB_SLICE = ("mfa-device-registration-denied", "deny-notaction-pitfall", "bool-vs-boolifexists-mfa",
            "scp-explicit-deny", "malformed-policy-document", "iam-passrole-not-authorized")


@dataclass(frozen=True)
class Served:
    """A running server: its base URL and the settings it was made with."""

    url: str
    settings: Settings


@pytest.fixture(scope="session")
def api_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The data directory every API test shares (the index is built there once)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("ANONYMIZED_TELEMETRY", "False")  # read by chromadb, not by Settings
    yield tmp_path_factory.mktemp("api-data")
    patch.undo()


@pytest.fixture(scope="session")
def api_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A slice of the real kb/: the seed's article and its neighbours (a small index builds fast)."""
    kb = tmp_path_factory.mktemp("api-kb")
    for lang in ("ja", "en"):
        (kb / lang).mkdir()
        for article_id in KB_SLICE:
            shutil.copy(REPO / "kb" / lang / f"{article_id}.md", kb / lang)
    return kb


@pytest.fixture(scope="session")
def api_settings(api_data_dir: Path, api_kb: Path) -> Settings:
    """Settings as a clean environment gives them (no keys, no token), with the shared directories."""
    return Settings.from_env({"KB_ASSISTANT_DATA_DIR": str(api_data_dir), "KB_ASSISTANT_KB_DIR": str(api_kb)})


@pytest.fixture(scope="session")
def assistant(api_settings: Settings) -> Iterator[Assistant]:
    """The real pipeline on the real kb/, index built (slow the first time)."""
    built = Assistant.from_settings(api_settings)
    built.retriever.generation()
    yield built
    built.retriever.close()


@pytest.fixture(scope="session")
def served(api_settings: Settings, assistant: Assistant) -> Iterator[Served]:
    """The API without auth."""
    for url in serve_in_thread(create_app(api_settings, assistant)):
        yield Served(url, api_settings)


@pytest.fixture(scope="session")
def served_with_token(api_settings: Settings, assistant: Assistant) -> Iterator[Served]:
    """The API with ``KB_ASSISTANT_API_TOKEN`` set."""
    settings = replace(api_settings, api_token=TOKEN)
    for url in serve_in_thread(create_app(settings, assistant)):
        yield Served(url, settings)


@pytest.fixture
def client(served: Served) -> Iterator[httpx.Client]:
    """An httpx client on the unauthenticated server."""
    with httpx.Client(base_url=served.url, timeout=120, trust_env=False) as http:
        yield http
