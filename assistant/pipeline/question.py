"""Reading a question: its language, the access-denied messages and policies in it, and what a
follow-up refers to.

A follow-up without errors or policies of its own ("それでもダメでした", "what about for a role?")
borrows them from the earlier user turns, most recent first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.engine.catalog import Catalog
from assistant.engine.checker import CheckedPolicy, check_text, check_value
from assistant.engine.messages import Denial, parse_denials
from assistant.engine.model import PolicyType
from assistant.engine.reader import read_policies

__all__ = ["Question", "Turn", "detect_language", "read_question"]

_KANA = re.compile(r"[\u3040-\u30ff]")
_KANJI = re.compile(r"[\u4e00-\u9fff]")
_CLI = re.compile(r"\b(cli|sdk|boto3|access key|aws configure|terraform)\b|アクセスキー|コマンドライン", re.IGNORECASE)
_WITH_MFA = re.compile(r"(signed|logged) in with mfa|mfa\s*(で|を使って)(サインイン|ログイン)", re.IGNORECASE)


@dataclass(frozen=True)
class Turn:
    """One message of the conversation so far."""

    role: str
    content: str


@dataclass(frozen=True)
class Question:
    """What the pipeline reads from one question in its conversation."""

    text: str
    lang: str
    denials: tuple[Denial, ...]
    policies: tuple[CheckedPolicy, ...]
    search_text: str
    mfa_present: str | None  # "true" / "false" for a console session, None when the key is absent (CLI keys)


def detect_language(text: str) -> str:
    """``ja`` when the text has kana or several kanji, else ``en``."""
    return "ja" if _KANA.search(text) or len(_KANJI.findall(text)) >= 2 else "en"


def _prose(text: str) -> str:
    """The text without its policy JSON, for language detection and retrieval."""
    for document in sorted(read_policies(text), key=lambda d: d.start, reverse=True):
        text = text[: document.start] + " " + text[document.start + len(document.text):]
    return re.sub(r"```\w*", " ", text)


def _pasted_policies(text: str, catalog: Catalog) -> tuple[CheckedPolicy, ...]:
    """Every policy in the text; a lone statement (``{"Effect": …}``) is read as a policy holding it."""
    found = []
    for checked in check_text(text, PolicyType.IDENTITY, catalog):
        if any(f.code == "NO_POLICY_FOUND" for f in checked.findings):
            continue
        value = checked.value
        if isinstance(value, dict) and "Effect" in value and "Statement" not in value:
            checked = check_value({"Version": "2012-10-17", "Statement": [value]}, PolicyType.IDENTITY, catalog)
        found.append(checked)
    return tuple(found)


def read_question(text: str, history: Sequence[Turn], catalog: Catalog) -> Question:
    """Read a question; errors and policies missing from a follow-up come from earlier user turns."""
    prose = _prose(text)
    without_errors = re.sub(r"User:\s*\S+\s*is not authorized to perform:[^\n]*", " ", prose)
    lang = detect_language(without_errors) if without_errors.strip() else detect_language(prose)
    denials = parse_denials(text)
    policies = _pasted_policies(text, catalog)
    earlier = [t.content for t in reversed(history) if t.role == "user"]
    for previous in earlier:
        if not denials:
            denials = parse_denials(previous)
        if not policies:
            policies = _pasted_policies(previous, catalog)
    search_text = prose
    if earlier and len(prose.strip()) < 60:  # a short follow-up: search with what it follows
        search_text = _prose(earlier[0]) + "\n" + prose
    every_text = " ".join([text, *earlier])
    mfa: str | None = "false"
    if _CLI.search(every_text):
        mfa = None
    elif _WITH_MFA.search(every_text):
        mfa = "true"
    return Question(text, lang, denials, policies, search_text.strip(), mfa)
