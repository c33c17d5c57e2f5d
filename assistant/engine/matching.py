"""Pattern matching as IAM does it: ``*``/``?`` globs, ARN segments, and policy variables.

Actions match case-insensitively, resources and ARNs case-sensitively, and an ARN pattern is
matched segment by segment (a wildcard never crosses the colons of the first five segments).
A substituted variable is literal text: ``${*}`` yields a literal ``*``, not a wildcard.
No regular expression is built from policy text: a glob is split at its ``*`` into segments that
are found left to right (greedy leftmost is exact for ``*``), so matching never backtracks and
costs at most O(len(pattern) x len(text)), usually one ``str.find`` per segment.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache

__all__ = ["LITERAL", "arn_matches", "glob_matches", "has_wildcard", "split_arn", "substitute", "variables"]

# Marks the next character as literal text inside a pattern (set by variable substitution).
LITERAL = "\x00"

# A segment between stars: its characters, with None for "?" (any one character).
_Segment = tuple[str | None, ...]


@lru_cache(maxsize=4096)  # pure: pattern text -> its segments; bounded memoisation only
def _segments(pattern: str, fold: bool) -> tuple[_Segment, ...]:
    segments: list[_Segment] = []
    current: list[str | None] = []
    chars = iter(pattern.lower() if fold else pattern)
    for char in chars:
        if char == LITERAL:
            current.extend(next(chars, ""))  # a trailing marker escapes nothing
        elif char == "*":
            segments.append(tuple(current))
            current = []
        else:
            current.append(None if char == "?" else char)
    segments.append(tuple(current))
    return tuple(segments)


def _fits_at(segment: _Segment, text: str, at: int) -> bool:
    return all(c is None or c == text[at + i] for i, c in enumerate(segment))


def _find(segment: _Segment, text: str, start: int, end: int) -> int:
    """The first offset in [start, end - len(segment)] where ``segment`` fits, or -1."""
    last = end - len(segment)
    if None not in segment:
        return text.find("".join(segment), start, end)  # type: ignore[arg-type]  # no None in it
    # anchor on the first literal character, so that most offsets are skipped by str.find
    anchor = next((i for i, c in enumerate(segment) if c is not None), None)
    if anchor is None:
        return start if start <= last else -1
    char = segment[anchor]
    assert char is not None
    at = text.find(char, start + anchor, end)
    while at >= 0 and at - anchor <= last:
        if _fits_at(segment, text, at - anchor):
            return at - anchor
        at = text.find(char, at + 1, end)
    return -1


def has_wildcard(pattern: str) -> bool:
    """True when the pattern contains an unescaped ``*`` or ``?``."""
    if LITERAL not in pattern:
        return "*" in pattern or "?" in pattern
    escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == LITERAL:
            escaped = True
        elif char in "*?":
            return True
    return False


def glob_matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """Whole-string glob match with ``*`` and ``?``."""
    if not has_wildcard(pattern):
        plain = pattern.replace(LITERAL, "")
        return plain.lower() == value.lower() if ignore_case else plain == value
    segments = _segments(pattern, ignore_case)
    text = value.lower() if ignore_case else value
    if len(segments) == 1:
        return len(segments[0]) == len(text) and _fits_at(segments[0], text, 0)
    first, last = segments[0], segments[-1]
    end = len(text) - len(last)
    if end < len(first) or not _fits_at(first, text, 0) or not _fits_at(last, text, end):
        return False
    position = len(first)
    for segment in segments[1:-1]:
        found = _find(segment, text, position, end)
        if found < 0:
            return False
        position = found + len(segment)
    return True


def split_arn(arn: str) -> list[str] | None:
    """The six ARN segments (the last may contain colons), or None when it is not an ARN."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts


def arn_matches(pattern: str, arn: str) -> bool:
    """Match a resource ARN against a pattern, segment by segment (``*`` alone matches anything)."""
    if pattern == "*":
        return True
    pattern_parts = split_arn(pattern)
    value_parts = split_arn(arn)
    if pattern_parts is None or value_parts is None:
        return glob_matches(pattern, arn)
    return all(glob_matches(p, v) for p, v in zip(pattern_parts, value_parts, strict=True))


def variables(text: str) -> Iterator[tuple[int, int, str]]:
    """Every ``${…}`` in ``text`` as (start, end, body), left to right, in one pass."""
    position = 0
    while True:
        start = text.find("${", position)
        if start < 0:
            return
        close = text.find("}", start + 2)
        if close < 0:
            return  # no later "${" can close either
        yield start, close + 1, text[start + 2 : close]
        position = close + 1


def _literal(text: str) -> str:
    return "".join(LITERAL + c if c in "*?" else c for c in text)


def _resolve(body: str, context: Mapping[str, tuple[str, ...]]) -> str | None:
    body = body.strip()
    if body in ("*", "?"):
        return LITERAL + body
    if body == "$":
        return "$"
    name, _, default = body.partition(",")
    values = context.get(name.strip().lower())
    if values is not None and len(values) == 1:
        return _literal(values[0])
    default = default.strip()
    if len(default) >= 2 and default[0] == default[-1] == "'":
        return _literal(default[1:-1])
    return None


def substitute(pattern: str, context: Mapping[str, tuple[str, ...]]) -> str | None:
    """Replace ``${key}`` / ``${key, 'default'}`` / ``${*}`` ``${?}`` ``${$}`` from the request context.

    Returns None when a variable cannot be resolved (missing or multi-valued key, no default):
    AWS then treats that value as not matching.
    """
    if "${" not in pattern:
        return pattern
    pieces: list[str] = []
    position = 0
    for start, end, body in variables(pattern):
        value = _resolve(body, context)
        if value is None:
            return None
        pieces += [pattern[position:start], value]
        position = end
    pieces.append(pattern[position:])
    return "".join(pieces)
