"""Holding back what the guard has not passed: prose streams as it comes, policies and claims wait.

A streaming client shows text as soon as it arrives, so the model's raw output must not reach it
before the guard has checked it. Complete lines of prose pass at once; from the first line that may
start a policy (a code fence, a brace, a YAML policy key, a grant in prose) or claims verification,
everything is held. When the checked ``Answer`` arrives, the client gets the rest of the checked text
(or, when the checked text no longer begins with what was sent, the whole checked text after a rule).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

__all__ = ["hold_unchecked", "may_hold_policy"]

_RISKY = re.compile(
    r"^[ \t]*(?:```|~~~)|[{｛]|^[ \t]*(?:-[ \t]*)?(?:Version|Statement|Effect|Action|NotAction|Resource|NotResource|"
    r"Principal|Condition)[ \t]*:|\ballow\w*\W{0,3}[`'\"]?\*|すべての(?:アクション|操作)|\bverif|\bvalidat|"
    r"\bchecker\b|検証|確認済|動作確認",
    re.IGNORECASE)
_CHECKED_JA = "\n\n---\n\n**チェッカーで確認した回答:**\n\n"
_CHECKED_EN = "\n\n---\n\n**Answer as checked by the policy checker:**\n\n"


def may_hold_policy(line: str) -> bool:
    """Whether a line may begin a policy or a claim of verification (and so must wait for the guard)."""
    return _RISKY.search(line) is not None


def hold_unchecked(items: Iterator[Any]) -> Iterator[Any]:
    """The pipeline's stream (text chunks, then the final answer), with unchecked text held back.

    The final item (anything that is not a string: the ``Answer``) must carry the checked text in
    ``answer`` and its language in ``lang``.
    """
    sent = ""
    pending = ""
    holding = False
    for item in items:
        if isinstance(item, str):
            if holding:
                continue
            pending += item
            while "\n" in pending and not holding:
                line, pending = pending.split("\n", 1)
                if may_hold_policy(line):
                    holding = True
                    break
                sent += line + "\n"
                yield line + "\n"
            continue
        final: str = item.answer
        if final.startswith(sent):
            rest = final[len(sent):]
        else:
            rest = (_CHECKED_JA if item.lang == "ja" else _CHECKED_EN) + final
        if rest:
            yield rest
        yield item
        return
