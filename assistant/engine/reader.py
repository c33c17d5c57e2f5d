"""Reading policy text: find the policy JSON in raw JSON, a chat message or Markdown, and parse it.

Broken JSON is reported (``INVALID_JSON`` with line and column) and recognisable damage is named
(annotations such as ``← 追加``, comments, trailing commas, typographic quotes, full-width
characters). A repaired candidate is offered beside the text as written, flagged as repaired;
it is never silently used in place of the user's policy.
Every step is one pass over the text (no regular expression that rescans it), and what is read is
capped: at most ``MAX_INPUT_CHARS`` characters and ``MAX_POLICIES`` policies per text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.engine.checks import finding
from assistant.engine.jsontext import MAX_DEPTH, JsonSyntaxError, ParsedJson, line_column, parse_json
from assistant.engine.model import Finding
from assistant.engine.validator import MAX_POLICY_SIZE

__all__ = ["MAX_INPUT_CHARS", "MAX_POLICIES", "ReadDocument", "fenced_blocks", "locate", "read_policies"]

MAX_INPUT_CHARS = 1_000_000
# IAM attaches at most 20 managed policies to a user or role (IAM and AWS STS quotas).
MAX_POLICIES = 20
_MAX_DAMAGE = 50  # named repairs reported per policy; the rest are the same kind of problem again
# No repair is attempted past this: even indented generously, no policy AWS accepts is that long.
_MAX_REPAIRED = 8 * MAX_POLICY_SIZE
_FENCES = ("```", "~~~")
_POLICY_HINT = re.compile(r'["“”](?:Statement|Effect|Version)["“”]', re.IGNORECASE)
_SMART_QUOTES = "“”„‟″＂"
_FULLWIDTH = {"\u3000": " ", "｛": "{", "｝": "}", "［": "[", "］": "]", "：": ":", "，": ",", "\u00a0": " "}
_TOKEN_START = set('{}[]:,"-0123456789tfn \t\r\n')


@dataclass(frozen=True)
class ReadDocument:
    """One policy candidate found in the text: as written, and repaired when that was possible."""

    text: str
    start: int
    value: Any = None
    offsets: Mapping[str, int] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    repaired_value: Any = None
    repaired_text: str | None = None

    @property
    def valid_json(self) -> bool:
        """True when the text as written is JSON."""
        return not any(f.code == "INVALID_JSON" for f in self.findings)

    @property
    def repaired(self) -> bool:
        """True when the text is not JSON as written but a repaired candidate parsed."""
        return self.repaired_text is not None and self.repaired_value is not None


def locate(text: str, item: Finding, offset: int) -> Finding:
    """The finding with line and column of ``offset`` in ``text``."""
    line, column = line_column(text, offset)
    return Finding(item.code, item.severity, item.message, item.message_ja, item.path, line, column, item.hint)


def fenced_blocks(text: str) -> Iterator[tuple[int, int]]:
    """The (start, end) of the body of every closed Markdown code fence, in one pass over the lines.

    A fence opens on a line starting (after blanks) with ``` or ~~~ and closes on the next line that
    holds the same marker alone; an opener that never closes is no fence.
    """
    lines: list[tuple[int, str]] = []
    position = 0
    for line in text.split("\n"):
        lines.append((position, line))
        position += len(line) + 1
    # for each line, the index of the next line that closes each kind of fence
    next_close: dict[str, list[int]] = {m: [len(lines)] * (len(lines) + 1) for m in _FENCES}
    for index in range(len(lines) - 1, -1, -1):
        stripped = lines[index][1].strip(" \t")
        for marker in _FENCES:
            next_close[marker][index] = index if stripped == marker else next_close[marker][index + 1]
    index = 0
    while index < len(lines) - 1:  # the last line has no line break after it, so it opens nothing
        start, line = lines[index]
        marker = line.lstrip(" \t")[:3]
        close = next_close[marker][index + 1] if marker in _FENCES else len(lines)
        if close < len(lines):
            yield start + len(line) + 1, lines[close][0]
            index = close + 1
        else:
            index += 1


def _balanced_end(text: str, start: int, limit: int) -> int:
    """Offset just after the brace that closes the one at ``start`` (string-aware); ``limit`` if none before it."""
    depth, closer, escaped = 0, "", False
    for index in range(start, limit):
        char = text[index]
        if closer:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char in closer:
                closer = ""
        elif char == '"':
            closer = '"'
        elif char == "“":
            closer = '”"'  # a typographic opening quote may be closed either way
        elif char in "{｛":
            depth += 1
        elif char in "}｝":
            depth -= 1
            if depth == 0:
                return index + 1
    return limit


def _candidates(text: str) -> list[tuple[int, str]]:
    stripped = text.strip()
    if stripped[:1] == "{" and _balanced_end(text, text.index("{"), len(text)) >= len(text.rstrip()):
        start = text.index("{")
        return [(start, text[start:].rstrip())]
    whole = [(text.index(stripped[0]), stripped)] if stripped else []
    if stripped[:1] == "[":  # a JSON array, or a chat line opening with a tag such as "[質問]"
        try:
            parse_json(stripped)
            return whole
        except JsonSyntaxError as exc:
            if exc.too_deep:
                return whole
    starts: list[int] = []  # the regions found, disjoint and sorted by start
    ends: dict[int, int] = {}
    for span_start, span_end in [*fenced_blocks(text), (0, len(text))]:
        index = span_start
        while True:
            brace = min((i for i in (text.find("{", index, span_end), text.find("｛", index, span_end)) if i >= 0),
                        default=-1)
            if brace < 0:
                break
            end = _balanced_end(text, brace, span_end)
            before = bisect_right(starts, brace) - 1
            if before >= 0 and brace < ends[starts[before]]:  # inside a region found in a fence
                index = ends[starts[before]]
                continue
            if _POLICY_HINT.search(text, brace, end):
                starts.insert(before + 1, brace)
                ends[brace] = end
            index = end if end > brace else brace + 1
    found = [(start, text[start:ends[start]]) for start in starts]
    return found or (whole if stripped[:1] == "[" else [])


def _outside_strings(text: str) -> list[tuple[int, int, str]]:
    """Spans of non-JSON text outside strings: (start, end, code) for comments and annotations."""
    spans: list[tuple[int, int, str]] = []
    index, in_string = 0, False
    while index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 2
                continue
            if char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif text.startswith("//", index) or char == "#":
            end = text.find("\n", index)
            end = len(text) if end < 0 else end
            spans.append((index, end, "JSON_COMMENT"))
            index = end
            continue
        elif text.startswith("/*", index):
            end = text.find("*/", index + 2)
            end = len(text) if end < 0 else end + 2
            spans.append((index, end, "JSON_COMMENT"))
            index = end
            continue
        elif char not in _TOKEN_START and not (char.isalpha() and char.isascii()):
            end = index
            while end < len(text) and text[end] not in '{}[],"\n':
                end += 1
            spans.append((index, end, "JSON_ANNOTATION"))
            index = end
            continue
        index += 1
    return spans


def _repair(text: str) -> tuple[str, list[tuple[int, Finding]]]:
    """A repaired text and the named damage, each with its offset in ``text``."""
    damage: list[tuple[int, Finding]] = []
    quotes = [i for i, c in enumerate(text) if c in _SMART_QUOTES]
    if quotes:
        damage.append((quotes[0], finding("SMART_QUOTES", text=" ".join(sorted({text[i] for i in quotes})))))
    wide = [i for i, c in enumerate(text) if c in _FULLWIDTH]
    if wide:
        damage.append((wide[0], finding("FULLWIDTH_CHARACTER", text=text[wide[0]])))
    text = "".join('"' if c in _SMART_QUOTES else _FULLWIDTH.get(c, c) for c in text)
    if '"' not in text and "'" in text:  # Python-style quoting: every string in single quotes
        damage.append((text.index("'"), finding("SMART_QUOTES", text="'")))
        text = text.replace("'", '"')
    pieces, last = [], 0
    for start, end, code in _outside_strings(text):
        snippet = text[start:end].strip()
        damage.append((start, finding(code, text=snippet[:40])))
        pieces.append(text[last:start])
        last = end
    pieces.append(text[last:])
    cleaned = "".join(pieces)
    del damage[_MAX_DAMAGE:]
    trailing = list(re.finditer(r",(\s*)([\]}])", cleaned))
    for match in trailing[:_MAX_DAMAGE]:
        damage.append((match.start(), finding("TRAILING_COMMA", closer=match.group(2))))
    cleaned = re.sub(r",(\s*)([\]}])", r"\1\2", cleaned)
    return cleaned, damage


def _read_one(text: str, start: int, candidate: str) -> ReadDocument:
    try:
        parsed = parse_json(candidate)
    except JsonSyntaxError as exc:
        code = "NESTING_TOO_DEEP" if exc.too_deep else "INVALID_JSON"
        problem = finding(code, detail=exc.detail, detail_ja=exc.detail_ja, limit=MAX_DEPTH)
        found = [locate(text, problem, start + exc.offset)]
        if exc.too_deep or len(candidate) > _MAX_REPAIRED:
            return ReadDocument(candidate, start, findings=tuple(found))
        repaired_text, damage = _repair(candidate)
        found += [locate(text, item, start + offset) for offset, item in damage]
        repaired: ParsedJson | None = None
        if damage:
            try:
                repaired = parse_json(repaired_text)
            except JsonSyntaxError:
                repaired = None
        return ReadDocument(
            candidate, start, findings=tuple(found),
            repaired_value=repaired.value if repaired else None,
            repaired_text=repaired_text if repaired else None,
        )
    duplicates = [
        locate(text, finding("DUPLICATE_KEY", path=path, key=key), start + parsed.offsets.get(path, 0))
        for path, key in parsed.duplicates
    ]
    offsets = {path: start + offset for path, offset in parsed.offsets.items()}
    return ReadDocument(candidate, start, parsed.value, offsets, tuple(duplicates))


def read_policies(text: str) -> tuple[ReadDocument, ...]:
    """Every policy candidate in ``text``, in order; an empty tuple when there is none."""
    if len(text) > MAX_INPUT_CHARS:
        problem = finding("INPUT_TOO_LARGE", size=len(text), limit=MAX_INPUT_CHARS)
        return (ReadDocument("", 0, findings=(locate(text, problem, 0),)),)
    candidates = _candidates(text)
    documents = tuple(_read_one(text, start, candidate) for start, candidate in candidates[:MAX_POLICIES])
    if len(candidates) > MAX_POLICIES:
        start = candidates[MAX_POLICIES][0]
        extra = locate(text, finding("TOO_MANY_POLICIES", limit=MAX_POLICIES), start)
        last = documents[-1]
        documents = (*documents[:-1], ReadDocument(last.text, last.start, last.value, last.offsets,
                                                   (*last.findings, extra), last.repaired_value,
                                                   last.repaired_text))
    return documents
