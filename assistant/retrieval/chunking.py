"""Splitting articles into the chunks the index stores.

An article is split by its ``##`` sections; a long section is packed greedily from paragraphs and
fenced blocks, and a fenced block is never cut (a policy that is split in two means nothing). The
first chunk holds the article's title, summary, tags and verbatim error messages (what a customer
pastes), under the first section's heading; the last one (section ``FAQ``) the direct answer and the
FAQ, whose questions are customers' own wordings. Each chunk knows its article id, language, title,
section heading and position.
The text that is *embedded* is a compact view of the chunk (policy JSON reduced to its actions,
keys and effects, length capped near the model's sweet spot): embedding cost grows faster than
linearly with tokens, and the lexical side still sees every word of the full text. The FAQ chunk
is embedded as the summary chunk is (the same text, so the same vector, computed once): measured on
the public set, embedding its questions gained nothing over BM25 seeing them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.adapters.articles import Article

__all__ = ["ANSWERS_SECTION", "CHUNKER_VERSION", "DEFAULT_MAX_CHARS", "Chunk", "chunk_article", "dense_view",
           "split_units"]

CHUNKER_VERSION = "3"
DEFAULT_MAX_CHARS = 900
ANSWERS_SECTION = "FAQ"  # the section of the chunk holding the article's direct answer and FAQ
_DENSE_CHARS = {"ja": 420, "en": 900}  # about 230 tokens of multilingual-e5 in either language
_POLICY_WORDS = re.compile(r'"(?:Effect|Principal|NotPrincipal)"\s*:\s*"?[A-Za-z*]+|'
                           r"[a-z0-9-]+:[A-Za-z0-9*]+|\b(?:String|Arn|Bool|Numeric|Date|IpAddress|Null)"
                           r"[A-Za-z]*\b")

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
    dense: str = ""

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


def _pack(units: list[str], max_chars: int) -> list[list[str]]:
    groups: list[list[str]] = []
    current: list[str] = []
    size = 0
    for unit in (p for u in units for p in _pieces(u, max_chars)):
        if current and size + len(unit) > max_chars:
            groups.append(current)
            current, size = [], 0
        current.append(unit)
        size += len(unit) + 2
    if current:
        groups.append(current)
    return groups


def _compact_unit(unit: str) -> str:
    if not _is_fence(unit):
        return unit
    lines = unit.split("\n")
    info = _FENCE.sub("", lines[0]).strip().lower()
    inner = "\n".join(lines[1:-1])
    if info.startswith("json"):
        seen: dict[str, None] = {}
        for word in _POLICY_WORDS.findall(inner):
            seen.setdefault(word.replace('"', "").replace(" ", ""), None)
        return " ".join(list(seen)[:24])
    return inner[:300]


def dense_view(head: str, extra: str, units: list[str], lang: str) -> str:
    """The text embedded for a chunk: heading, preamble and compacted units, capped in length."""
    body = "\n".join(c for c in (_compact_unit(u) for u in units) if c)
    text = "\n".join(part for part in (head, extra, body) if part)
    return text[: _DENSE_CHARS.get(lang, 900)]


def _preamble(article: Article) -> str:
    lines = [article.summary.strip()] if article.summary.strip() else []
    if article.tags:
        lines.append("tags: " + ", ".join(article.tags))
    lines.extend(error.strip() for error in article.errors if error.strip())
    return "\n".join(lines)


def _answers(article: Article) -> str:
    lines = [article.answer] if article.answer else []
    lines.extend(f"{entry.q}\n{entry.a}" for entry in article.faq)
    return "\n\n".join(lines)


def chunk_article(article: Article, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """The chunks of one article: the summary chunk first, then the sections, then the FAQ chunk."""
    sections = [s for s in article.sections if s.text.strip() or s.heading]
    first = sections[0].heading if sections else ""
    preamble = _preamble(article)
    text = "\n\n".join(part for part in (article.title, preamble) if part)
    chunks = [Chunk(article.id, article.lang, article.title, first, 0, text,
                    dense_view(article.title, preamble, [], article.lang))]
    for section in sections:
        head = f"{article.title}\n## {section.heading}" if section.heading else article.title
        for units in _pack(split_units(section.text), max_chars):
            text = "\n\n".join(part for part in (head, "\n\n".join(units)) if part)
            chunks.append(Chunk(article.id, article.lang, article.title, section.heading, len(chunks), text,
                                dense_view(head, "", units, article.lang)))
    answers = _answers(article)
    if answers:
        chunks.append(Chunk(article.id, article.lang, article.title, ANSWERS_SECTION, len(chunks),
                            f"{article.title}\n\n{answers}", chunks[0].dense))
    return chunks
