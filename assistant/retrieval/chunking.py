"""Splitting articles into the chunks the index stores.

An article is split by its ``##`` sections; a long section is packed greedily from paragraphs and
fenced blocks, and a fenced block is never cut (a policy that is split in two means nothing). The
first chunk also carries the article's summary, tags and verbatim error messages, which is what a
customer pastes. Each chunk knows its article id, language, title, section heading and position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.adapters.articles import Article

__all__ = ["CHUNKER_VERSION", "DEFAULT_MAX_CHARS", "Chunk", "chunk_article", "split_units"]

CHUNKER_VERSION = "1"
DEFAULT_MAX_CHARS = 900

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_SENTENCE_END = re.compile(r"(?<=[。！？!?])|(?<=\.)\s+")


@dataclass(frozen=True)
class Chunk:
    """One piece of one article, as indexed."""

    article_id: str
    lang: str
    title: str
    section: str
    position: int
    text: str

    @property
    def id(self) -> str:
        """Stable id: ``<lang>/<article id>#<position>``."""
        return f"{self.lang}/{self.article_id}#{self.position}"

    @property
    def article_key(self) -> str:
        """The article file this chunk comes from: ``<lang>/<article id>``."""
        return f"{self.lang}/{self.article_id}"


def split_units(text: str) -> list[str]:
    """Paragraphs and whole fenced blocks of a Markdown text, in order (a fence is one unit)."""
    units: list[str] = []
    current: list[str] = []
    fence: str | None = None

    def flush() -> None:
        if "".join(current).strip():
            units.append("\n".join(current).strip("\n"))
        current.clear()

    for line in text.split("\n"):
        opened = _FENCE.match(line)
        if fence is not None:
            current.append(line)
            if opened and line.strip().strip(fence[0]) == "" and line.strip().startswith(fence):
                fence = None
                flush()
            continue
        if opened:
            flush()
            fence = opened.group(1)
            current.append(line)
            continue
        if not line.strip():
            flush()
            continue
        current.append(line)
    flush()
    return units


def _is_fence(unit: str) -> bool:
    return bool(_FENCE.match(unit.split("\n", 1)[0]))


def _pieces(unit: str, max_chars: int) -> list[str]:
    """A prose paragraph longer than ``max_chars`` is cut between sentences; a fence never is."""
    if len(unit) <= max_chars or _is_fence(unit):
        return [unit]
    pieces: list[str] = []
    current = ""
    for sentence in (s for s in _SENTENCE_END.split(unit) if s):
        if current and len(current) + len(sentence) > max_chars:
            pieces.append(current.strip())
            current = ""
        current += sentence if not current or current.endswith(("。", "\n")) else " " + sentence
    if current.strip():
        pieces.append(current.strip())
    return pieces


def _pack(units: list[str], max_chars: int) -> list[str]:
    bodies: list[str] = []
    current: list[str] = []
    size = 0
    for unit in (p for u in units for p in _pieces(u, max_chars)):
        if current and size + len(unit) > max_chars:
            bodies.append("\n\n".join(current))
            current, size = [], 0
        current.append(unit)
        size += len(unit) + 2
    if current:
        bodies.append("\n\n".join(current))
    return bodies


def _preamble(article: Article) -> str:
    lines = [article.summary.strip()] if article.summary.strip() else []
    if article.tags:
        lines.append("tags: " + ", ".join(article.tags))
    lines.extend(error.strip() for error in article.errors if error.strip())
    return "\n".join(lines)


def chunk_article(article: Article, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """The chunks of one article, in reading order; the first also carries summary, tags and errors."""
    chunks: list[Chunk] = []
    preamble = _preamble(article)
    sections = [s for s in article.sections if s.text.strip() or s.heading]
    for section in sections or []:
        for body in _pack(split_units(section.text), max_chars) or [""]:
            extra = preamble if not chunks and preamble else ""
            head = f"{article.title}\n## {section.heading}" if section.heading else article.title
            text = "\n\n".join(part for part in (head, extra, body) if part)
            chunks.append(Chunk(article.id, article.lang, article.title, section.heading, len(chunks), text))
    if not chunks:
        text = "\n\n".join(part for part in (article.title, preamble) if part)
        chunks.append(Chunk(article.id, article.lang, article.title, "", 0, text))
    return chunks
