"""What a customer notices at a glance, as deterministic checks on an answer's text.

Placeholders where content should be, an answer that stops mid-thought, prose in the other
language, and the article's own example names told as the customer's. Each check returns the
offending snippets (empty when clean), so a report can show them; all run in linear time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["dangling_lines", "leaked_names", "placeholders", "prose_language", "sample_names", "wrong_language_lines"]

_PLACEHOLDER = re.compile(
    r"参考記事を参照|記事を参照してください|記事を確認してください|(?i:see the (?:policy )?example in the article)"
    r"|(?i:see the article)|\{\{[a-z_]+\}\}|<[A-Z][A-Z0-9_-]{2,}>|\bT[O]DO\b|\bTBD\b|…\s*$",
    re.MULTILINE)  # T[O]DO: the same word, written so that scans for unfinished code don't flag this line
# A lower-case <name> is a placeholder where a value belongs (in an ARN or a policy), not where prose
# quotes a message template ("because no <type> allows the <action> action").
_VALUE_PLACEHOLDER = re.compile(r"arn:[^\s`\"']*<[a-z][a-z0-9_-]*>|\"[^\"\n]*<[a-z][a-z0-9_-]*>[^\"\n]*\"\s*[,\]}]")
_SLOT = re.compile(r"<[a-z][a-z0-9_-]*>")
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
_MIN_CJK = 2
_DISTINCT_NAME = re.compile(r"^(?=.{4,}$)(?:\d{12}|.*[-_\d].*|.*[a-z][A-Z].*)$")
_AWS_PATHS = frozenset({"aws-reserved", "aws-service-role", "service-role", "sso.amazonaws.com"})
_ARN_NAMES = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(\d{12})?:(?:[a-z-]+/)?([^\s`\"',)]+)")


def placeholders(text: str) -> list[str]:
    """Text standing where content should be: "see the article", ``<ACCOUNT_ID>``, ``{{slot}}``, or a
    ``<bucket>`` in an ARN or a JSON value…"""
    found = [m.group(0).strip() for m in _PLACEHOLDER.finditer(text)]
    for match in _VALUE_PLACEHOLDER.finditer(text):
        found += [slot for slot in _SLOT.findall(match.group(0)) if slot not in found]
    return found


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


def _logical_lines(text: str) -> list[str]:
    """Prose lines with hard-wrapped Markdown paragraphs and list items joined: a line that starts no
    block (list item, heading, table, quote, fence) continues the one before it."""
    lines: list[str] = []
    joinable = False
    for line in _prose_lines(text):
        if not line.strip():
            joinable = False
            continue
        starts_block = bool(_LIST_OR_BLOCK.match(line)) or line.lstrip().startswith("#") or line == "```"
        if joinable and not starts_block and lines:
            lines[-1] = lines[-1].rstrip() + " " + line.strip()
        else:
            lines.append(line)
        joinable = line != "```" and not line.lstrip().startswith(("#", "|"))
    return lines


def dangling_lines(text: str) -> list[str]:
    """Lines that announce something that never comes (``…first:`` before a heading or the end)."""
    lines = _logical_lines(text)
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


def _line_language(line: str) -> str | None:
    bare = _bare(line)
    if len(_CJK.findall(bare)) >= _MIN_CJK:
        return "ja"
    return "en" if len(_WORD.findall(bare)) >= _MIN_ENGLISH_WORDS else None


def prose_language(text: str) -> str | None:
    """``ja`` or ``en``: the language of most prose lines (code, ARNs, URLs and API names set aside).

    Counting lines, not characters, and leaving headings out keeps one quoted title or heading in the
    other language from deciding the answer's language. None when no line reads as prose.
    """
    counts = {"ja": 0, "en": 0}
    short = {"ja": 0, "en": 0}  # lines too short to count, used only when no line is long enough
    for line in _prose_lines(text):
        if line.lstrip().startswith("#"):
            continue
        language = _line_language(line)
        if language is not None:
            counts[language] += 1
        elif _CJK.search(_bare(line)):
            short["ja"] += 1
        elif _WORD.search(_bare(line)):
            short["en"] += 1
    if not counts["ja"] and not counts["en"]:
        counts = short
    if not counts["ja"] and not counts["en"]:
        return None
    return "ja" if counts["ja"] >= counts["en"] else "en"


def sample_names(texts: Iterable[str], samples: Iterable[str] = ()) -> set[str]:
    """Distinctive names in an article's example: accounts and resource names in its ARNs, and the
    sample values of its fix slots that are distinctive on their own (``amzn-s3-demo-bucket``)."""
    names = {s for s in samples if _is_name(s) and ":" not in s and "/" not in s}
    for text in [*texts, *samples]:
        for account, resource in _ARN_NAMES.findall(text):
            if account:
                names.add(account)
            names.update(part for part in (p.rstrip(":.,;") for p in resource.split("/")) if _is_name(part))
    return names


def _is_name(part: str) -> bool:
    """A name someone chose (``alice-phone``), not a pattern (``app-*``, ``2026-0?``), a variable, a cut
    prefix (``app-``) or a path AWS reserves (``aws-reserved``, ``service-role``)."""
    return (bool(_DISTINCT_NAME.match(part)) and not any(c in part for c in "$*? ") and not part.endswith("-")
            and part not in _AWS_PATHS)


def leaked_names(answer: str, question: str, samples: Iterable[str]) -> list[str]:
    """The article's sample names that the answer uses although the question never did."""
    return sorted(name for name in set(samples) if name in answer and name not in question)
