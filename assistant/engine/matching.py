"""Pattern matching as IAM does it: ``*``/``?`` globs, ARN segments, and policy variables.

Actions match case-insensitively, resources and ARNs case-sensitively, and an ARN pattern is
matched segment by segment (a wildcard never crosses the colons of the first five segments).
A substituted variable is literal text: ``${*}`` yields a literal ``*``, not a wildcard.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

__all__ = ["LITERAL", "arn_matches", "glob_matches", "has_wildcard", "split_arn", "substitute"]

# Marks the next character as literal text inside a pattern (set by variable substitution).
LITERAL = "\x00"

_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@lru_cache(maxsize=4096)  # pure: pattern text -> compiled regex; bounded memoisation only
def _glob_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == LITERAL:
            parts.append(re.escape(next(chars, "")))
        elif char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def has_wildcard(pattern: str) -> bool:
    """True when the pattern contains an unescaped ``*`` or ``?``."""
    if LITERAL not in pattern:
        return "*" in pattern or "?" in pattern
    return bool(re.search(r"(?<!\x00)[*?]", pattern))


def glob_matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """Whole-string glob match with ``*`` and ``?``."""
    if not has_wildcard(pattern):
        plain = pattern.replace(LITERAL, "")
        return plain.lower() == value.lower() if ignore_case else plain == value
    return _glob_regex(pattern, ignore_case).fullmatch(value) is not None


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


def _literal(text: str) -> str:
    return "".join(LITERAL + c if c in "*?" else c for c in text)


def substitute(pattern: str, context: Mapping[str, tuple[str, ...]]) -> str | None:
    """Replace ``${key}`` / ``${key, 'default'}`` / ``${*}`` ``${?}`` ``${$}`` from the request context.

    Returns None when a variable cannot be resolved (missing or multi-valued key, no default):
    AWS then treats that value as not matching.
    """
    if "${" not in pattern:
        return pattern
    unresolved = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unresolved
        body = match.group(1).strip()
        if body in ("*", "?", "$"):
            return LITERAL + body if body != "$" else "$"
        name, _, default = body.partition(",")
        values = context.get(name.strip().lower())
        if values is not None and len(values) == 1:
            return _literal(values[0])
        default = default.strip()
        if len(default) >= 2 and default[0] == default[-1] == "'":
            return _literal(default[1:-1])
        unresolved = True
        return ""

    result = _VARIABLE.sub(replace, pattern)
    return None if unresolved else result
