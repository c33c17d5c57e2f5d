"""A strict JSON parser that remembers where every value is, for findings with line and column.

``json.loads`` gives neither positions of values nor duplicate keys; policies are small (IAM caps
them at 10,240 characters), so a small recursive-descent parser with a depth limit is enough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAX_DEPTH", "JsonSyntaxError", "ParsedJson", "line_column", "parse_json"]

MAX_DEPTH = 64

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_STRING_CHUNK = re.compile(r'[^"\\\x00-\x1f]*')
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_WS = " \t\n\r"


class JsonSyntaxError(ValueError):
    """The text is not JSON; ``offset`` is where the parser stopped."""

    def __init__(self, detail: str, offset: int, too_deep: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.offset = offset
        self.too_deep = too_deep


@dataclass
class ParsedJson:
    """The value, the offset of every JSON pointer path, and duplicate keys as (path, key)."""

    value: Any
    offsets: dict[str, int] = field(default_factory=dict)
    duplicates: list[tuple[str, str]] = field(default_factory=list)


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _join_surrogates(text: str) -> str:
    """Combine UTF-16 surrogate pairs written as two \\u escapes into one character, as JSON does."""
    if not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return text  # a lone surrogate stays as written


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.result = ParsedJson(None)

    def fail(self, detail: str, too_deep: bool = False) -> JsonSyntaxError:
        return JsonSyntaxError(detail, self.pos, too_deep)

    def skip(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in _WS:
            pos += 1
        self.pos = pos

    def value(self, path: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH} levels", too_deep=True)
        self.skip()
        self.result.offsets[path] = self.pos
        if self.pos >= len(self.text):
            raise self.fail("unexpected end of text, a value was expected")
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
            if any(c in token for c in ".eE"):
                return float(token)
            # beyond Python's int-conversion limit a number is kept as a float: no policy needs its digits
            return int(token) if len(token) <= 4000 else float(token)
        raise self.fail(f"unexpected character {char!r}")

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
                raise self.fail("unterminated string")
            char = text[self.pos]
            if char == '"':
                self.pos += 1
                return _join_surrogates("".join(parts))
            if char == "\\":
                escape = text[self.pos + 1 : self.pos + 2]
                if escape in _ESCAPES:
                    parts.append(_ESCAPES[escape])
                    self.pos += 2
                elif escape == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[self.pos + 2 : self.pos + 6]):
                    parts.append(chr(int(text[self.pos + 2 : self.pos + 6], 16)))
                    self.pos += 6
                else:
                    raise self.fail("invalid escape in string")
            else:
                raise self.fail("control character (such as a line break) inside a string")

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
                raise self.fail("a key in double quotes was expected")
            key = self.string()
            self.skip()
            if self.text[self.pos : self.pos + 1] != ":":
                raise self.fail("':' was expected after the key")
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
                raise self.fail("',' or '}' was expected")
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
                raise self.fail("',' or ']' was expected")
            self.pos += 1


def parse_json(text: str) -> ParsedJson:
    """Parse one JSON document; raise ``JsonSyntaxError`` with the offset of the problem."""
    parser = _Parser(text)
    parser.result.value = parser.value("", 0)
    parser.skip()
    if parser.pos != len(text):
        raise parser.fail("unexpected text after the end of the JSON document")
    return parser.result
