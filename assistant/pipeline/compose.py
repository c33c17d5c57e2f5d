"""The deterministic answer: a support engineer's reply composed from the diagnosis, the verified
fix and the matching article, in the question's language, with no model involved.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.adapters.articles import Article
from assistant.pipeline.diagnosis import Diagnosis

__all__ = ["CandidateCheck", "Fix", "compose_answer", "policy_diff"]

_DECISION = {
    "ja": {"ExplicitlyDenied": "明示的な拒否", "ImplicitlyDenied": "暗黙的な拒否 (許可がない)", "Allowed": "許可"},
    "en": {"ExplicitlyDenied": "explicit deny", "ImplicitlyDenied": "implicit deny (nothing allows it)",
           "Allowed": "allowed"},
}
_ARN = re.compile(r"(arn:[^\s,()`]+[^\s,()`.。、])")  # in code spans, so Markdown leaves ${…} and * alone
_RESOLUTION = {"ja": "どう対応すればいいの?", "en": "Resolution"}
_POLICY_IN_ARTICLE = {"ja": "(ポリシーの例は参考記事を参照してください)",
                      "en": "(see the policy example in the article)"}
_NOT_REPRODUCED = {
    "ja": "  - 貼り付けられたポリシーではこのエラーを再現できません。ほかにも適用されているポリシー (別のアタッチ済み"
          "ポリシー、アクセス許可の境界、SCP など) があるはずです。",
    "en": "  - The pasted policies do not reproduce this error: another policy applies as well (another attached "
          "policy, a permissions boundary, an SCP, …).",
}


@dataclass(frozen=True)
class Fix:
    """A verified fix: the corrected policy, the user's original, what changed and what else it allows."""

    policy: dict[str, Any]
    original: dict[str, Any]
    changes: tuple[str, ...]
    newly_granted: tuple[str, ...]


@dataclass(frozen=True)
class CandidateCheck:
    """A policy the user pasted besides the attached one, checked as a fix: what it resolves."""

    label: str
    resolves: tuple[str, ...]
    misses: tuple[str, ...]
    repaired: bool


def policy_diff(original: dict[str, Any], fixed: dict[str, Any]) -> str:
    """A unified diff of two policies, pretty-printed."""
    before = json.dumps(original, indent=2, ensure_ascii=False).splitlines()
    after = json.dumps(fixed, indent=2, ensure_ascii=False).splitlines()
    return "\n".join(difflib.unified_diff(before, after, "before", "after", lineterm=""))


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs; a fenced block stays whole."""
    paragraphs: list[str] = []
    current: list[str] = []
    fenced = False
    for line in text.split("\n"):
        if line.strip().startswith(("```", "~~~")):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                paragraphs.append("\n".join(current).strip())
            current = []
            continue
        current.append(line)
    if current:
        paragraphs.append("\n".join(current).strip())
    return [p for p in paragraphs if p]


def _excerpt(article: Article, limit: int = 1600) -> str:
    section = next((s for s in article.sections if s.heading == _RESOLUTION[article.lang]), None)
    text = section.text if section else article.summary
    # policies reach the user only through the checker: an article's JSON is referred to, not copied
    text = re.sub(r"^\s*(```|~~~)\s*json[^\n]*\n.*?^\s*\1\s*$", _POLICY_IN_ARTICLE[article.lang], text,
                  flags=re.DOTALL | re.MULTILINE)
    paragraphs = [p for p in _paragraphs(text) if not p.startswith("#")]
    result = ""
    for paragraph in paragraphs:
        if len(result) + len(paragraph) > limit and result:
            break
        result += paragraph + "\n\n"
    return result.strip()


def _diagnosis_lines(diagnoses: Sequence[Diagnosis], lang: str) -> list[str]:
    lines = []
    for number, diagnosis in enumerate(diagnoses, start=1):
        item = diagnosis.to_json()
        decision = _DECISION[lang].get(item["decision"] or "", item["decision"] or "?")
        target = f"`{item['action']}`" + (f" (`{item['resource']}`)" if item["resource"] else "")
        head = f"{number}. **{target}** — {decision}"
        lines.append(head)
        explanation = item["explanation_ja"] if lang == "ja" else item["explanation"]
        if explanation:
            lines.append("  - " + _ARN.sub(r"`\1`", explanation))
        elif lang == "ja":
            lines.append("  - ポリシーが貼り付けられていないため、原因のステートメントまでは特定できません。")
        else:
            lines.append("  - No policy was pasted, so the statement responsible cannot be named yet.")
        if diagnosis.reproduced is False:
            lines.append(_NOT_REPRODUCED[lang])
    return lines


def compose_answer(lang: str, diagnoses: Sequence[Diagnosis], fix: Fix | None, notes: Sequence[str],
                   candidates: Sequence[CandidateCheck], articles: Sequence[Article], in_scope: bool,
                   nearest: Sequence[str], assumed_console: bool, policies_pasted: bool) -> str:
    """The Markdown answer."""
    ja = lang == "ja"
    parts: list[str] = []
    if not in_scope:
        if ja:
            parts.append("申し訳ありません。ナレッジベースには、このご質問にお答えできる記事がありません。")
            if nearest:
                parts.append("近いトピックの記事:\n" + "\n".join(f"- {t}" for t in nearest))
        else:
            parts.append("Sorry — the knowledge base has no article that answers this question.")
            if nearest:
                parts.append("Nearest topics:\n" + "\n".join(f"- {t}" for t in nearest))
        return "\n\n".join(parts)
    if diagnoses:
        parts.append("## 診断" if ja else "## Diagnosis")
        intro = (f"貼り付けていただいた {len(diagnoses)} 件のエラーを、ポリシーチェッカーで再現しました。" if ja and
                 policies_pasted else f"{len(diagnoses)} 件のエラーを読み取りました。" if ja else
                 f"I reproduced the {len(diagnoses)} error(s) you pasted with the policy checker." if policies_pasted
                 else f"I read {len(diagnoses)} error(s) from your message.")
        if assumed_console and policies_pasted:
            intro += (" (MFA を使わずにコンソールにサインインしている前提で評価しています。)" if ja else
                      " (Evaluated as a console session signed in without MFA.)")
        parts.append(intro)
        parts.append("\n".join(_diagnosis_lines(diagnoses, lang)))
        if not policies_pasted:
            parts.append("原因のステートメントを特定するには、このユーザー (またはロール) にアタッチされている"
                         "ポリシーの "
                         "JSON を貼り付けてください (IAM コンソール → ユーザー → 許可ポリシー → JSON)。" if ja else
                         "To name the statement responsible, paste the JSON of the policies attached to this user "
                         "(or role): IAM console → Users → Permissions → the policy → JSON.")
    for candidate in candidates:
        label = candidate.label
        if ja:
            text = f"貼り付けられた{label}" + ("(注記などを取り除いて修復した上で評価)" if candidate.repaired else "")
            text += (f"は {', '.join(candidate.resolves)} を解消します" if candidate.resolves
                     else "はどのエラーも解消しません")
            text += (f"が、{', '.join(candidate.misses)} は解消しません。" if candidate.misses and candidate.resolves
                     else "。")
        else:
            text = f"The {label} you pasted" + (" (evaluated after repairing it)" if candidate.repaired else "")
            text += (f" resolves {', '.join(candidate.resolves)}" if candidate.resolves else " resolves none of the "
                     "errors")
            text += (f" but not {', '.join(candidate.misses)}." if candidate.misses and candidate.resolves else ".")
        parts.append(_ARN.sub(r"`\1`", text))
    if fix is not None:
        parts.append("## 修正案 (チェッカーで検証済み)" if ja else "## Fix (verified by the checker)")
        parts.append("次のポリシーで、上記のエラーがすべて解消されることをポリシーチェッカーで確認しました。" if ja else
                     "The policy checker confirmed that this policy resolves every error above.")
        parts.append("```json\n" + json.dumps(fix.policy, indent=2, ensure_ascii=False) + "\n```")
        parts.append(("変更点:\n" if ja else "What changed:\n") + "\n".join(f"- {c}" for c in fix.changes))
        parts.append(("元のポリシーとの差分:\n" if ja else "Diff against your policy:\n") + "```diff\n"
                     + policy_diff(fix.original, fix.policy) + "\n```")
        if fix.newly_granted:
            actions = [g.split(" on ", 1)[0] for g in fix.newly_granted]
            shown = ", ".join(f"`{a}`" for a in actions[:8]) + (" …" if len(actions) > 8 else "")
            parts.append(f"この変更で新たに許可される操作: {shown}" if ja else f"This change also allows: {shown}")
    for note in notes:
        parts.append("- " + _ARN.sub(r"`\1`", note))
    if articles:
        top = articles[0]
        parts.append("## 対応方法 (ナレッジベースより)" if ja else "## What to do (from the knowledge base)")
        excerpt = _excerpt(top)
        if excerpt:
            parts.append(excerpt)
        parts.append(("参考記事:\n" if ja else "Articles:\n") + "\n".join(f"- {a.title} [{a.id}]" for a in articles))
    return "\n\n".join(parts)
