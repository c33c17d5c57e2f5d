"""What a customer notices at a glance, as deterministic checks on an answer's text.

Placeholders where content should be, an answer that stops mid-thought, prose in the other
language, and the article's own example names told as the customer's. Each check returns the
offending snippets (empty when clean), so a report can show them; all run in linear time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["dangling_lines", "leaked_names", "placeholders", "sample_names", "wrong_language_lines"]

_PLACEHOLDER = re.compile(
    r"参考記事を参照|記事を参照してください|記事を確認してください|see the (?:policy )?example in the article"
    r"|see the article|\{\{[a-z_]+\}\}|<(?:[A-Z][A-Z0-9_-]{2,})>|\bTODO\b|\bTBD\b|…\s*$",
    re.IGNORECASE | re.MULTILINE)
_FENCE_LINE = re.compile(r"^\s*(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_URL = re.compile(r"https?://\S+")
_ARN = re.compile(r"\barn:aws[a-z-]*:[^\s`\"',)]*")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
# Technical tokens that stand in Japanese prose as they are (service names, API terms).
_TOKEN = re.compile(r"\b(?:[a-z0-9-]+:[A-Za-z0-9*?]+|[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*|[A-Z]{2,}[a-z]?)\b")
_LIST_OR_BLOCK = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|\||```|~~~|>|    )")
_SENTENCE_END = re.compile(r"[.!?。！？)）」』`*|]\s*$")
_MIN_ENGLISH_WORDS = 3
_DISTINCT_NAME = re.compile(r"^(?=.{4,}$)(?:\d{12}|.*[-_\d].*|.*[a-z][A-Z].*)$")
_ARN_NAMES = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(\d{12})?:(?:[a-z-]+/)?([^\s`\"',)]+)")


def placeholders(text: str) -> list[str]:
    """Text standing where content should be: "see the article", ``<ACCOUNT_ID>``, ``{{slot}}``…"""
    return [m.group(0).strip() for m in _PLACEHOLDER.finditer(text)]


def _prose_lines(text: str) -> list[str]:
    lines: list[str] = []
    fenced = False
    for line in text.splitlines():
        if _FENCE_LINE.match(line):
            fenced = not fenced
            lines.append("```")
        elif not fenced:
            lines.append(line)
    return lines


def dangling_lines(text: str) -> list[str]:
    """Lines that announce something that never comes (``…first:`` before a heading or the end)."""
    lines = [line for line in _prose_lines(text) if line.strip()]
    found: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.endswith((":", "：")) or stripped.startswith("#"):
            continue
        following = lines[index + 1] if index + 1 < len(lines) else None
        if following is None or not _LIST_OR_BLOCK.match(following):
            found.append(stripped)
    last = next((line.strip() for line in reversed(lines) if line.strip() != "```"), "")
    if last and not last.startswith("#") and not _LIST_OR_BLOCK.match(last) and not _URL.search(last) \
            and not _SENTENCE_END.search(last) and last not in found:
        found.append(last)
    return found


def _bare(line: str) -> str:
    return _TOKEN.sub(" ", _ARN.sub(" ", _URL.sub(" ", _INLINE_CODE.sub(" ", line))))


def wrong_language_lines(text: str, lang: str) -> list[str]:
    """Prose lines in the other language: English sentences in a ja answer, Japanese in an en one."""
    found: list[str] = []
    for line in _prose_lines(text):
        bare = _bare(line)
        if lang == "ja":
            if not _CJK.search(bare) and len(_WORD.findall(bare)) >= _MIN_ENGLISH_WORDS:
                found.append(line.strip())
        elif _CJK.search(bare):
            found.append(line.strip())
    return found


def sample_names(texts: Iterable[str]) -> set[str]:
    """Distinctive names in an article's example (accounts, users, buckets, roles from its ARNs)."""
    names: set[str] = set()
    for text in texts:
        for account, resource in _ARN_NAMES.findall(text):
            if account:
                names.add(account)
            for part in resource.split("/"):
                if _DISTINCT_NAME.match(part) and "$" not in part and "*" not in part:
                    names.add(part)
    return names


def leaked_names(answer: str, question: str, samples: Iterable[str]) -> list[str]:
    """The article's sample names that the answer uses although the question never did."""
    return sorted(name for name in set(samples) if name in answer and name not in question)
