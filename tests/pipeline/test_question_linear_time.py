"""Reading a question takes time linear in its length: hostile texts up to the 100,000-character limit."""

from __future__ import annotations

import time

import pytest

from assistant.pipeline.question import read_question


@pytest.mark.parametrize(("name", "text"), [
    ("100 KB of spaces", "MFA" + " " * 99_990),
    ("'User: ' x 16,000", "User: " * 16_000),
    ("'User:' x 20,000", "User:" * 20_000),
    ("unclosed fences", "```json\n{\n" * 10_000),
    ("one long sentence of tries", "still " * 16_000),
    ("hyphenated run", "a-" * 50_000),
    ("ARN prefixes", "arn:aws:iam::" * 7_600),
])
def test_reading_a_hostile_question_is_fast(name, text, catalog):
    started = time.perf_counter()
    read_question(text, [], catalog)
    assert time.perf_counter() - started < 3.0, name
