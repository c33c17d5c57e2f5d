"""A strict JSON parser that remembers where every value is, for findings with line and column.

``json.loads`` gives neither positions of values nor duplicate keys; policies are small (IAM caps
them at 10,240 characters), so a small recursive-descent parser with a depth limit is enough.
Every problem is described in English and Japanese. A number no Python number holds exactly
(``1e400``, or an integer of more than 4,000 digits) is kept as its text: IAM reads condition
values as strings, and the value stays writable as JSON.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

__all__ = ["MAX_DEPTH", "JsonSyntaxError", "ParsedJson", "line_column", "parse_json"]

MAX_DEPTH = 64

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_STRING_CHUNK = re.compile(r'[^"\\\x00-\x1f]*')
_HEX = frozenset("0123456789abcdefABCDEF")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_WS = " \t\n\r"


class JsonSyntaxError(ValueError):
    """The text is not JSON; ``offset`` is where the parser stopped."""

    def __init__(self, detail: str, detail_ja: str, offset: int, too_deep: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.detail_ja = detail_ja
        self.offset = offset
        self.too_deep = too_deep


@dataclass
class ParsedJson:
    """The value, the offset of every JSON pointer path, and duplicate keys as (path, key)."""

    value: Any
    offsets: dict[str, int] = field(default_factory=dict)
    duplicates: list[tuple[str, str]] = field(default_factory=list)


@lru_cache(maxsize=8)  # pure: text -> offsets of its line breaks; many findings share one text
def _line_starts(text: str) -> list[int]:
    return [i for i, c in enumerate(text) if c == "\n"]


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text`` (a binary search, so many findings stay cheap)."""
    breaks = _line_starts(text)
    line = bisect_left(breaks, offset)
    return line + 1, offset - (breaks[line - 1] + 1 if line else 0) + 1


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.result = ParsedJson(None)

    def fail(self, detail: str, detail_ja: str, too_deep: bool = False) -> JsonSyntaxError:
        return JsonSyntaxError(detail, detail_ja, self.pos, too_deep)

    def skip(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in _WS:
            pos += 1
        self.pos = pos

    def value(self, path: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH} levels", f"入れ子が {MAX_DEPTH} 段を超えています",
                            too_deep=True)
        self.skip()
        self.result.offsets[path] = self.pos
        if self.pos >= len(self.text):
            raise self.fail("unexpected end of text, a value was expected",
                            "値があるべき位置でテキストが終わっています")
        char = self.text[self.pos]
        if char == "{":
            return self.object(path, depth)
        if char == "[":
            return self.array(path, depth)
        if char == '"':
            return self.string()
        for literal, result in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(literal, self.pos):
                self.pos += len(literal)
                return result
        number = _NUMBER.match(self.text, self.pos)
        if number and number.end() > self.pos:
            self.pos = number.end()
            token = number.group()
            if not any(c in token for c in ".eE"):
                return int(token) if len(token) <= 4000 else token  # beyond Python's int-conversion limit
            value = float(token)
            return value if math.isfinite(value) else token
        raise self.fail(f"unexpected character {char!r}", f"予期しない文字 {char!r} があります")

    def string(self) -> str:
        self.pos += 1
        parts = []
        text = self.text
        while True:
            chunk = _STRING_CHUNK.match(text, self.pos)
            assert chunk is not None  # the pattern matches the empty string
            parts.append(chunk.group())
            self.pos = chunk.end()
            if self.pos >= len(text):
                raise self.fail("unterminated string", "文字列が閉じられていません")
            char = text[self.pos]
            if char == '"':
                self.pos += 1
                return "".join(parts)
            if char == "\\":
                escape = text[self.pos + 1 : self.pos + 2]
                if escape in _ESCAPES:
                    parts.append(_ESCAPES[escape])
                    self.pos += 2
                elif escape == "u" and self.unicode_escape(self.pos) is not None:
                    parts.append(self.code_point())
                else:
                    raise self.fail("invalid escape in string", "文字列に無効なエスケープがあります")
            else:
                raise self.fail("control character (such as a line break) inside a string",
                                "文字列の中に制御文字 (改行など) があります")

    def unicode_escape(self, at: int) -> int | None:
        """The code unit of a ``\\uHHHH`` escape at ``at``, or None."""
        digits = self.text[at + 2 : at + 6]
        if self.text[at : at + 2] != "\\u" or len(digits) != 4 or not _HEX.issuperset(digits):
            return None
        return int(digits, 16)

    def code_point(self) -> str:
        """One ``\\uHHHH`` escape, joined with the next when the two are a UTF-16 surrogate pair (as JSON does)."""
        unit = self.unicode_escape(self.pos)
        assert unit is not None
        self.pos += 6
        if 0xD800 <= unit <= 0xDBFF:
            low = self.unicode_escape(self.pos)
            if low is not None and 0xDC00 <= low <= 0xDFFF:
                self.pos += 6
                return chr(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
        return chr(unit)  # a lone surrogate stays as written

    def object(self, path: str, depth: int) -> dict[str, Any]:
        self.pos += 1
        result: dict[str, Any] = {}
        self.skip()
        if self.text[self.pos : self.pos + 1] == "}":
            self.pos += 1
            return result
        while True:
            self.skip()
            if self.text[self.pos : self.pos + 1] != '"':
                raise self.fail("a key in double quotes was expected", "ダブルクォートで囲んだキーが必要です")
            key = self.string()
            self.skip()
            if self.text[self.pos : self.pos + 1] != ":":
                raise self.fail("':' was expected after the key", "キーの後に ':' が必要です")
            self.pos += 1
            child = f"{path}/{_escape(key)}"
            if key in result:
                self.result.duplicates.append((child, key))
            result[key] = self.value(child, depth + 1)
            self.skip()
            char = self.text[self.pos : self.pos + 1]
            if char == "}":
                self.pos += 1
                return result
            if char != ",":
                raise self.fail("',' or '}' was expected", "',' か '}' が必要です")
            self.pos += 1

    def array(self, path: str, depth: int) -> list[Any]:
        self.pos += 1
        result: list[Any] = []
        self.skip()
        if self.text[self.pos : self.pos + 1] == "]":
            self.pos += 1
            return result
        while True:
            result.append(self.value(f"{path}/{len(result)}", depth + 1))
            self.skip()
            char = self.text[self.pos : self.pos + 1]
            if char == "]":
                self.pos += 1
                return result
            if char != ",":
                raise self.fail("',' or ']' was expected", "',' か ']' が必要です")
            self.pos += 1


def parse_json(text: str) -> ParsedJson:
    """Parse one JSON document; raise ``JsonSyntaxError`` with the offset of the problem."""
    parser = _Parser(text)
    parser.result.value = parser.value("", 0)
    parser.skip()
    if parser.pos != len(text):
        raise parser.fail("unexpected text after the end of the JSON document",
                          "JSON の終わりの後に余分なテキストがあります")
    return parser.result
