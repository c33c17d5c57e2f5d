"""Nothing the guard has not passed reaches a streaming client: prose streams, policies and claims wait."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from assistant.pipeline.stream_guard import hold_unchecked


@dataclass(frozen=True)
class _Final:
    answer: str
    lang: str = "en"


RAW_POLICY = ('```json\n{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
              "\n```\n")


def _chunks(text: str, size: int = 7) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def _run(raw: str, checked: str, lang: str = "en") -> tuple[str, list[object]]:
    final = _Final(checked, lang)
    out = list(hold_unchecked(iter([*_chunks(raw), final])))
    assert out[-1] is final
    return "".join(x for x in out if isinstance(x, str)), out


@pytest.mark.parametrize("risky", [
    RAW_POLICY,
    '{"Effect": "Allow", "Action": "*", "Resource": "*"}\n',
    "Statement:\n  - Effect: Allow\n    Action: '*'\n",
    "Allow `*` on `*`.\n",
    "## 検証済み\n",
    "This policy was verified by the checker.\n",
])
def test_a_policy_or_a_claim_is_held_until_the_checked_answer(risky):
    intro = "The SCP denies the action.\nHere is what to change.\n"
    checked = intro + "(…)\n\nUse the verified fix instead."
    streamed, out = _run(intro + risky + "More text.\n", checked)
    first_chunks = out[:2]
    assert first_chunks == ["The SCP denies the action.\n", "Here is what to change.\n"]
    assert streamed == checked  # the client ends with exactly the checked text, never the raw policy
    assert risky.strip() not in streamed


def test_prose_streams_line_by_line_before_the_end():
    raw = "First line.\nSecond line.\nThird"
    streamed, out = _run(raw, raw)
    assert out[:2] == ["First line.\n", "Second line.\n"] and streamed == raw


def test_when_the_checked_text_changed_what_was_sent_the_whole_checked_answer_follows_a_rule():
    streamed, _ = _run("Old intro.\n" + RAW_POLICY, "New intro.\n(…)", lang="ja")
    assert streamed.startswith("Old intro.\n") and streamed.endswith("チェッカーで確認した回答:**\n\nNew intro.\n(…)")
