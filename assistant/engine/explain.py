"""Explanations: a view over an evaluation's trace, in Japanese or English, with no I/O.

Says which statement decided and why, and for an implicit deny which statements came close and
what they lacked (the action, the resource, or which condition).
"""

from __future__ import annotations

from assistant.engine.evaluator import Evaluation, StatementTrace
from assistant.engine.model import Condition, Decision, PolicyKind

__all__ = ["explain", "statement_label"]

_KIND = {
    "en": {PolicyKind.IDENTITY: "identity-based policy", PolicyKind.RESOURCE: "resource-based policy",
           PolicyKind.BOUNDARY: "permissions boundary", PolicyKind.SESSION: "session policy",
           PolicyKind.SCP: "SCP", PolicyKind.RCP: "RCP", PolicyKind.VPCE: "VPC endpoint policy"},
    "ja": {PolicyKind.IDENTITY: "アイデンティティベースのポリシー", PolicyKind.RESOURCE: "リソースベースのポリシー",
           PolicyKind.BOUNDARY: "アクセス許可の境界", PolicyKind.SESSION: "セッションポリシー",
           PolicyKind.SCP: "SCP", PolicyKind.RCP: "RCP", PolicyKind.VPCE: "VPC エンドポイントポリシー"},
}


def statement_label(trace: StatementTrace, lang: str) -> str:
    """``statement 2 (Sid "0987654321") of identity-based policy 1`` in the given language (numbered from 1)."""
    sid = f' (Sid "{trace.statement.sid}")' if trace.statement.sid else ""
    kind = _KIND[lang][trace.kind]
    if lang == "ja":
        return f"{kind} {trace.policy_index + 1} のステートメント {trace.statement.index + 1}{sid}"
    return f"statement {trace.statement.index + 1}{sid} of {kind} {trace.policy_index + 1}"


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _condition(condition: Condition) -> str:
    values = ", ".join(condition.values)
    return f"{condition.operator} {condition.key} = {values}"


def _why_applies(trace: StatementTrace, lang: str) -> str:
    statement = trace.statement
    parts = []
    if statement.not_action is not None:
        parts.append("NotAction に含まれていない" if lang == "ja" else "the action is not listed in NotAction")
    if statement.conditions:
        held = "; ".join(_condition(c) for c in statement.conditions)
        parts.append(f"条件 {held} が成立" if lang == "ja" else f"the condition {held} holds")
    return ("、".join(parts) if lang == "ja" else " and ".join(parts))


def _why_not(trace: StatementTrace, request_resource: str, lang: str) -> str:
    statement = trace.statement
    if not trace.action_matched:
        return "アクションが一致しません" if lang == "ja" else "its actions do not include the request's action"
    if not trace.resource_matched:
        listed = ", ".join(statement.resource or statement.not_resource or ())
        if lang == "ja":
            return f"リソース {listed} が {request_resource} に一致しません"
        return f"its resources {listed} do not match {request_resource}"
    if not trace.principal_matched:
        return "プリンシパルが一致しません" if lang == "ja" else "its principal does not match the caller"
    failed = "; ".join(_condition(c) for c in trace.failed_conditions)
    return f"条件 {failed} が成立しません" if lang == "ja" else f"the condition {failed} does not hold"


def explain(evaluation: Evaluation, lang: str = "en") -> str:
    """A few sentences on why the request got its decision."""
    request = evaluation.request
    resource = request.resource or "*"
    rule = evaluation.service_rule
    if rule is not None and (rule.allows or evaluation.decision is Decision.IMPLICIT_DENY):
        return rule.reason_ja if lang == "ja" else rule.reason
    if evaluation.decision is Decision.EXPLICIT_DENY:
        lines = []
        for trace in evaluation.deciding:
            why = _why_applies(trace, lang)
            if lang == "ja":
                lines.append(f"{statement_label(trace, lang)} が {request.action} を明示的に拒否しています"
                             + (f" ({why})。" if why else "。"))
            else:
                lines.append(f"{_upper_first(statement_label(trace, lang))} explicitly denies {request.action}"
                             + (f" ({why})." if why else "."))
        return " ".join(lines)
    if evaluation.decision is Decision.ALLOWED:
        allows = [statement_label(t, lang) for t in evaluation.deciding]
        if lang == "ja":
            return f"{request.action} は許可されます ({', '.join(allows)})。"
        return f"{request.action} is allowed by {', '.join(allows)}."
    kinds = ", ".join(_KIND[lang][k] for k in evaluation.blocked_by)
    near = [t for t in evaluation.traces if t.effect == "Allow" and t.kind in evaluation.blocked_by
            and (t.action_matched or t.resource_matched)]
    if lang == "ja":
        text = (f"{kinds} に {request.action} ({resource}) を許可するステートメントがないため、"
                "暗黙的に拒否されています。")
        text += "".join(f" {statement_label(t, lang)} は近いですが、{_why_not(t, resource, lang)}。" for t in near[:3])
    else:
        text = f"No statement in the {kinds} allows {request.action} on {resource}, so it is implicitly denied."
        text += "".join(f" {_upper_first(statement_label(t, lang))} comes close, but {_why_not(t, resource, lang)}."
                        for t in near[:3])
    return text
