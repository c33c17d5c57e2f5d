"""Realizing an answer plan in one language: Markdown for the UI and the API, plain text for the CLI.

Every fixed phrase is in the per-language tables below, so a Japanese answer has Japanese headings,
change lists and notices (code, ARNs and action names aside). The renderers add no content: what is
said was decided in ``plan``; here it is only worded and laid out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.engine.grants import Grant
from assistant.engine.model import Decision, Finding
from assistant.engine.propose import Edit, Obstacle, ObstacleKind, Proposal
from assistant.pipeline.compose import CandidateCheck, Fix, FixSource, policy_diff
from assistant.pipeline.plan import AnswerPlan, DiagnosisPoint, Scope
from assistant.pipeline.question import Demand

__all__ = ["proposal_lines", "render_markdown", "render_plain"]


@dataclass(frozen=True)
class _Heading:
    text: str


@dataclass(frozen=True)
class _Para:
    text: str


@dataclass(frozen=True)
class _Code:
    lang: str
    text: str


@dataclass(frozen=True)
class _List:
    items: tuple[str, ...]


_Block = _Heading | _Para | _Code | _List
_MAX_REFERENCES = 4


def _c(text: str) -> str:
    """A code span (ARNs, actions, Sids): Markdown then leaves ``${…}`` and ``*`` as written."""
    return f"`{text}`"


_KIND = {
    "ja": {"identity": "アイデンティティベースのポリシー", "resource": "リソースベースのポリシー",
           "pb": "アクセス許可の境界", "session": "セッションポリシー", "scp": "SCP (サービスコントロールポリシー)",
           "rcp": "RCP (リソースコントロールポリシー)", "vpce": "VPC エンドポイントポリシー"},
    "en": {"identity": "identity-based policy", "resource": "resource-based policy", "pb": "permissions boundary",
           "session": "session policy", "scp": "service control policy (SCP)",
           "rcp": "resource control policy (RCP)", "vpce": "VPC endpoint policy"},
}
_SLOT_KIND = {
    "ja": {"account": "AWS アカウント ID", "user": "IAM ユーザー名", "role": "IAM ロール名", "bucket": "S3 バケット名",
           "region": "リージョン", "arn": "リソースの ARN", "action": "アクション名", "name": "名前", "string": "値"},
    "en": {"account": "the AWS account ID", "user": "the IAM user name", "role": "the IAM role name",
           "bucket": "the S3 bucket name", "region": "the Region", "arn": "the resource ARN",
           "action": "the action name", "name": "the name", "string": "the value"},
}
_LEVEL = {"ja": {"list": "一覧 (List)", "read": "読み取り (Read)", "write": "書き込み (Write)",
                "permissions management": "権限の管理 (Permissions management)", "tagging": "タグ付け (Tagging)"}}
_MFA = {
    "ja": {("true",): "MFA でサインインしたセッションのみ", ("absent", "false"): "MFA なしのセッションのみ",
           ("false",): "MFA なしのセッションのみ"},
    "en": {("true",): "only in sessions signed in with MFA", ("absent", "false"): "only in sessions without MFA",
           ("false",): "only in sessions without MFA"},
}

_T: dict[str, dict[str, str]] = {
    "ja": {
        "refuse_verified": "「検証済み」は、ポリシーチェッカーが修正でエラーが解消されることを証明したときにだけ付け"
                           "るもので、ご依頼で付けることはできません。",
        "refuse_widen": "`Action: *` のような広い許可は提案しません。必要な操作だけを許可する修正を示します。",
        "refuse_widen_nofix": ("`Action: *` のような広い許可は提案しません。このユーザー (またはロール) に"
                               "アタッチされているポリシーを貼り付けていただければ、必要な操作だけを許可する修正を作成して検証します。"),
        "capability": "私は AWS のアクセス拒否エラーと IAM ポリシーについてのご質問に、ナレッジベースの記事とポリシ"
                      "ーチェッカーでお答えするアシスタントです。エラーメッセージやポリシーを貼り付けてご質問くださ"
                      "い。",
        "not_access": "申し訳ありません。このご質問は AWS のアクセス権限に関するものではないため、ナレッジベースにお"
                      "答えできる記事がありません。",
        "uncovered": "このご質問のトピックを扱う記事は、ナレッジベースにはありません。ポリシーチェッカーで分かること"
                     "と、最初に確認する手順をお伝えします。",
        "first_steps": "まず確認すること",
        "step1": "エラーメッセージの末尾を確認します。`with an explicit deny in …` ならどこかの Deny ステートメント"
                 "が、`because no … allows …` なら許可の不足が原因で、`…` の部分が原因のポリシーの種類 (アイデンティ"
                 "ティベース、リソースベース、アクセス許可の境界、セッションポリシー、SCP など) を示します。",
        "step2": "`aws sts get-caller-identity` で実際の呼び出し元を確認し、メッセージのアクションとリソースの ARN "
                 "がポリシーの記述と一致しているかを確かめます。",
        "step3": "IAM ポリシーシミュレーターや CloudTrail のイベントで、実際に評価されたリクエストを確認します。",
        "step4": "エラーメッセージと関係するポリシーの JSON を貼り付けていただければ、ポリシーチェッカーで拒否を再現"
                 "し、原因のステートメントを特定します。",
        "diagnosis": "診断",
        "reproduced": "貼り付けていただいた {n} 件のエラーを、ポリシーチェッカーで再現しました。",
        "read": "{n} 件のエラーを読み取りました。",
        "no_mfa": "(MFA を使わずにコンソールにサインインしている前提で評価しています。)",
        "on": " (リソース {r})",
        "explicit": "{a}{on} は、ステートメント {s} の Deny によって明示的に拒否されています。",
        "explicit_anon": "{a}{on} は Deny ステートメントによって明示的に拒否されています。",
        "not_action": "このステートメントは NotAction に含まれないすべての操作を拒否し、{a} はその一覧にありません。",
        "condition": "条件 {c} が成り立つため、このステートメントが適用されます。",
        "implicit": "{a}{on} を許可するステートメントがないため、暗黙的に拒否されています ({k})。",
        "near_resource": "ステートメント {s} はこのアクションを含みますが、リソースが {r} に限られていて一致しません"
                         "。",
        "near_condition": "ステートメント {s} は条件 {c} が成り立たないため適用されません。",
        "allowed": "貼り付けられたポリシーでは {a}{on} は許可されます。",
        "not_reproduced": "貼り付けられたポリシーではこのエラーを再現できません。ほかにも適用されているポリシー (別"
                          "のアタッチ済みポリシー、アクセス許可の境界、SCP など) があるはずです。",
        "reported_explicit": "{a}{on}: メッセージによると、{k}による明示的な拒否です。",
        "reported_implicit": "{a}{on}: メッセージによると、{k}に許可がないための暗黙的な拒否です。",
        "reported": "{a}{on}: メッセージから拒否の理由は読み取れません。",
        "ask_policy": "原因のステートメントを特定して修正を検証するには、このユーザー (またはロール) にアタッチされ"
                      "ているポリシーの JSON を貼り付けてください (IAM コンソール → ユーザー → 許可 → ポリシー → JSO"
                      "N)。",
        "ask_policy_too": "お使いのポリシーのどのステートメントが原因かを特定するには、このユーザー (またはロール) に"
                          "アタッチされているポリシーの JSON を貼り付けてください。",
        "candidate": "{n} 番目に貼り付けられたポリシー{rep}は、{res}。",
        "candidate_repaired": " (注記などを取り除いて修復した上で評価)",
        "candidate_resolves": "{r} のエラーを解消します",
        "candidate_misses": "{r} のエラーは解消しません",
        "candidate_none": "どのエラーも解消しません",
        "and": "が、",
        "fix_engine": "修正案 (ポリシーチェッカーで検証済み)",
        "fix_engine_intro": "お使いのポリシーを次のように変更すると、上記のエラーがすべて解消されることをポリシーチ"
                            "ェッカーで確認しました。ほかの操作を許可しているステートメントは広げず、必要な分だけを"
                            "追加しています。",
        "fix_article": "修正案",
        "fix_article_checked": "記事の修正ポリシーをお客様の値で埋め、ポリシーチェッカーで {on} が許可されることを確"
                               "認しました。",
        "fix_article_valid": "記事の修正ポリシーをお客様の値で埋め、ポリシーチェッカーで誤りや過剰な許可がないことを"
                             "確認しました。",
        "fix_article_scenarios": "記事の修正ポリシーをお客様の値で埋め、ポリシーチェッカーで、この修正が対象とする"
                                 "リクエストが許可され、誤りや過剰な許可がないことを確認しました。",
        "defaulted": "{k} はご質問に値がなかったため {v} としています。",
        "changes": "変更点:",
        "exempt": "ステートメント {s} (Deny) の NotAction に {a} を追加 ({l} レベルの操作)",
        "add_resource": "ステートメント {s} のリソースに {r} を追加 (このステートメントが許可するのは {a} だけです)",
        "new_statement": "ステートメント {s} を新設し、{a} を {r} に許可",
        "extend_new": "新設したステートメント {s} に {a} を追加 (リソース {r})",
        "diff": "元のポリシーとの差分:",
        "grants": "この変更で新たに許可されるのは次の操作だけです (変更したステートメントが対象にしうる操作とリソー"
                  "スを、ほかのユーザーのものや MFA の有無も含めて、変更前と変更後のポリシーで評価しました):",
        "grant": "{a} (リソース {r})",
        "grants_none": "この変更で新たに許可される操作は、上記のエラーの操作のほかにありません。",
        "other_policy": "{a} は {k}で拒否されています。アイデンティティベースのポリシーでは上書きできないため、その"
                        "ポリシーを変更する必要があります。",
        "deny_kept": "{a} はステートメント {s} で明示的に拒否されています。{l} レベルの操作のため Deny はそのまま残"
                     "しています。条件を満たす (例: MFA でサインインし直す) か、意図して Deny を変更してください。",
        "warnings": "お使いのポリシーについての注意:",
        "review": "ポリシーチェッカーの結果",
        "review_clean": "貼り付けられたポリシーに、構文の誤りや過剰な許可は見つかりませんでした。",
        "review_only_warnings": "構文の誤りは見つかりませんでしたが、次の点に注意してください。",
        "ask_slots": "この修正をお客様の環境に合わせるため、{k}を教えてください。",
        "list_sep": "、",
        "slot_named": "{n} の値",
        "cause": "原因",
        "steps": "対応手順",
        "more_faq": "関連する質問",
        "references": "参考記事",
        "docs": "AWS ドキュメント: ",
    },
    "en": {
        "refuse_verified": "A fix is marked verified only when the policy checker has proved that it resolves the er"
                           "rors; it cannot be marked verified on request.",
        "refuse_widen": "I don't suggest broad grants such as `Action: *`; here is the fix that allows only what is "
                        "needed.",
        "refuse_widen_nofix": ("I don't suggest broad grants such as `Action: *`. Paste the policy attached to "
                               "this user (or role), and I will build and verify a fix that allows only what is "
                               "needed."),
        "capability": "I'm an assistant for AWS access-denied errors and IAM policies: I answer from the knowledge b"
                      "ase's articles and check policies with a policy checker. Paste an error message or a policy a"
                      "nd ask your question.",
        "not_access": "Sorry, this is not a question about AWS access permissions, so the knowledge base has no arti"
                      "cle that answers it.",
        "uncovered": "No article in the knowledge base covers this topic. Here is what the policy checker can establ"
                     "ish and the first things to check.",
        "first_steps": "First steps",
        "step1": "Read the end of the error message: `with an explicit deny in …` means a Deny statement matched, `b"
                 "ecause no … allows …` means nothing allows the request, and the `…` names the kind of policy (iden"
                 "tity-based, resource-based, permissions boundary, session policy, SCP, …).",
        "step2": "Run `aws sts get-caller-identity` to see the real caller, and check that the action and the resour"
                 "ce ARN in the message match what the policy names.",
        "step3": "Look at the request in the IAM policy simulator or in the CloudTrail event to see what was actuall"
                 "y evaluated.",
        "step4": "Paste the error message and the JSON of the policies involved, and the policy checker will reprodu"
                 "ce the denial and name the statement responsible.",
        "diagnosis": "Diagnosis",
        "reproduced": "I reproduced the {n} error(s) you pasted with the policy checker.",
        "read": "I read {n} error(s) from your message.",
        "no_mfa": "(Evaluated as a console session signed in without MFA.)",
        "on": " on {r}",
        "explicit": "{a}{on} is explicitly denied by the Deny statement {s}.",
        "explicit_anon": "{a}{on} is explicitly denied by a Deny statement.",
        "not_action": "That statement denies every action not listed in its NotAction, and {a} is not listed.",
        "condition": "It applies because its condition {c} holds.",
        "implicit": "{a}{on} is implicitly denied: no statement in the {k} allows it.",
        "near_resource": "Statement {s} lists the action, but its resources ({r}) do not match.",
        "near_condition": "Statement {s} does not apply because its condition {c} does not hold.",
        "allowed": "Under the pasted policy, {a}{on} is allowed.",
        "not_reproduced": "The pasted policies do not reproduce this error: another policy applies as well (another "
                          "attached policy, a permissions boundary, an SCP, …).",
        "reported_explicit": "{a}{on}: the message reports an explicit deny in a {k}.",
        "reported_implicit": "{a}{on}: the message reports that no {k} allows it (implicit deny).",
        "reported": "{a}{on}: the message does not say why it was denied.",
        "ask_policy": "To name the statement responsible and verify a fix, paste the JSON of the policies attached t"
                      "o this user (or role): IAM console → Users → Permissions → the policy → JSON.",
        "ask_policy_too": "To name the statement of your own policy that denies it, paste the JSON of the policies "
                          "attached to this user (or role).",
        "candidate": "Policy {n} you pasted{rep} {res}.",
        "candidate_repaired": " (evaluated after repairing it)",
        "candidate_resolves": "resolves {r}",
        "candidate_misses": "does not resolve {r}",
        "candidate_none": "resolves none of the errors",
        "and": " but ",
        "fix_engine": "Fix (verified by the policy checker)",
        "fix_engine_intro": "The policy checker confirmed that changing your policy as follows resolves every error "
                            "above. No statement that allows other actions is widened; only what is needed is added.",
        "fix_article": "Fix",
        "fix_article_checked": "This is the article's fix with your values filled in; the policy checker confirmed t"
                               "hat it allows {on}.",
        "fix_article_valid": "This is the article's fix with your values filled in; the policy checker found no erro"
                             "r and nothing over-permissive in it.",
        "fix_article_scenarios": "This is the article's fix with your values filled in; the policy checker confirmed "
                                 "that it allows the requests it is meant for and found no error and nothing "
                                 "over-permissive in it.",
        "defaulted": "Your question gave no value for {k}, so it is {v}.",
        "changes": "What changed:",
        "exempt": "statement {s} (Deny): {a} added to NotAction ({l}-level action)",
        "add_resource": "statement {s}: resource {r} added (the statement allows only {a})",
        "new_statement": "new statement {s}: allows {a} on {r}",
        "extend_new": "new statement {s}: also allows {a} (resource {r})",
        "diff": "Diff against your policy:",
        "grants": "This change newly allows exactly the following (checked by evaluating your policy before and afte"
                  "r over every action and resource the changed statements could match, other users' included, with "
                  "and without MFA):",
        "grant": "{a} on {r}",
        "grants_none": "Beyond the denied requests, this change allows nothing new.",
        "other_policy": "{a} is blocked by a {k}, which an identity-based policy cannot override; that policy must c"
                        "hange.",
        "deny_kept": "{a} is explicitly denied by statement {s}. It is a {l}-level action, so the Deny is kept: meet"
                     " its condition (for example, sign in again with MFA) or change the Deny deliberately.",
        "warnings": "About your policy:",
        "review": "What the policy checker found",
        "review_clean": "The policy checker found no error and nothing over-permissive in the policy you pasted.",
        "review_only_warnings": "The policy checker found no error, but note the following.",
        "ask_slots": "To fit this fix to your account, please tell me {k}.",
        "list_sep": ", ",
        "slot_named": "the {n}",
        "cause": "Why",
        "steps": "Steps",
        "more_faq": "Related questions",
        "references": "Articles",
        "docs": "AWS documentation: ",
    },
}


def _on(t: dict[str, str], resource: str) -> str:
    return t["on"].format(r=_c(resource)) if resource and resource != "*" else ""


def _diagnosis(point: DiagnosisPoint, lang: str) -> str:
    t = _T[lang]
    action = f"**{_c(point.action)}**"
    on = _on(t, point.resource)
    kind = _KIND[lang].get(point.policy_type or "identity", point.policy_type or "")
    if not point.evaluated:
        key = {Decision.EXPLICIT_DENY: "reported_explicit", Decision.IMPLICIT_DENY: "reported_implicit"}.get(
            point.decision or Decision.ALLOWED, "reported")
        return t[key].format(a=action, on=on, k=kind)
    if point.decision is Decision.EXPLICIT_DENY:
        parts = [t["explicit"].format(a=action, on=on, s=_c(point.statement)) if point.statement
                 else t["explicit_anon"].format(a=action, on=on)]
        if point.not_action:
            parts.append(t["not_action"].format(a=_c(point.action)))
        parts += [t["condition"].format(c=_c(c)) for c in point.conditions]
    elif point.decision is Decision.IMPLICIT_DENY:
        parts = [t["implicit"].format(a=action, on=on, k=kind)]
        for near in point.near:
            if near.lacks == "resource":
                parts.append(t["near_resource"].format(s=_c(near.statement),
                                                       r=t["list_sep"].join(_c(r) for r in near.resources)))
            else:
                parts.append(t["near_condition"].format(s=_c(near.statement),
                                                        c=t["list_sep"].join(_c(c) for c in near.resources)))
    else:
        parts = [t["allowed"].format(a=action, on=on)]
    if point.reproduced is False:
        parts.append(t["not_reproduced"])
    return ("" if lang == "ja" else " ").join(parts)


def _level(level: str, lang: str) -> str:
    """An access level of the service authorization reference, in the answer's language."""
    return _LEVEL.get(lang, {}).get(level.lower(), level) if level else "?"


def _edit(edit: Edit, lang: str) -> str:
    t = _T[lang]
    return t[edit.kind.value].format(s=_c(edit.statement), a=_c(edit.action), r=_c(edit.resource or "*"),
                                     l=_level(edit.level, lang))


def proposal_lines(proposal: Proposal, lang: str) -> list[str]:
    """A fix's edits and obstacles as plain lines in ``lang`` (for the command line)."""
    lines = [_edit(e, lang) for e in proposal.edits] + [_obstacle(o, lang) for o in proposal.obstacles]
    return [_unmark(line) for line in lines]


def _grant(grant: Grant, lang: str) -> str:
    text = _T[lang]["grant"].format(a=_c(grant.action), r=_c(grant.resource))
    states = tuple(sorted(grant.mfa))
    qualifier = _MFA[lang].get(states)
    return text + (f" ({qualifier})" if qualifier else "")


def _obstacle(obstacle: Obstacle, lang: str) -> str:
    t = _T[lang]
    if obstacle.kind is ObstacleKind.OTHER_POLICY:
        kinds = t["list_sep"].join(_KIND[lang].get(k, k) for k in obstacle.blocked_by)
        return t["other_policy"].format(a=_c(obstacle.action), k=kinds)
    return t["deny_kept"].format(a=_c(obstacle.action), s=_c(obstacle.statement), l=_level(obstacle.level, lang))


def _request(label: str, lang: str) -> str:
    """``action on resource`` worded in the answer's language."""
    action, _, resource = label.partition(" on ")
    return _c(action) + _on(_T[lang], resource)


def _candidate(candidate: CandidateCheck, lang: str) -> str:
    t = _T[lang]
    joined = t["list_sep"].join
    if candidate.resolves:
        result = t["candidate_resolves"].format(r=joined(_request(r, lang) for r in candidate.resolves))
        if candidate.misses:
            result += t["and"] + t["candidate_misses"].format(r=joined(_request(r, lang) for r in candidate.misses))
    else:
        result = t["candidate_none"]
    return t["candidate"].format(n=candidate.number, rep=t["candidate_repaired"] if candidate.repaired else "",
                                 res=result)


def _finding(finding: Finding, lang: str) -> str:
    text = finding.message_ja if lang == "ja" else finding.message
    return text + (f" ({_c(finding.path)})" if finding.path else "") + (f" — {finding.hint}" if finding.hint else "")


def _fix_blocks(fix: Fix, lang: str) -> list[_Block]:
    t = _T[lang]
    blocks: list[_Block] = []
    if fix.source == FixSource.ENGINE:
        blocks += [_Heading(t["fix_engine"]), _Para(t["fix_engine_intro"])]
    else:
        blocks.append(_Heading(t["fix_article"]))
        intro = (t["fix_article_checked"].format(on=t["list_sep"].join(_request(r, lang) for r in fix.resolves))
                 if fix.resolves else t["fix_article_scenarios"] if fix.scenarios else t["fix_article_valid"])
        notes = [t["defaulted"].format(k=_SLOT_KIND[lang].get(kind, kind), v=_c(value))
                 for kind, value, defaulted in fix.filled if defaulted]
        blocks.append(_Para(" ".join([intro, *notes]) if lang == "en" else intro + "".join(notes)))
    blocks.append(_Code("json", json.dumps(fix.policy, indent=2, ensure_ascii=False)))
    if fix.edits:
        blocks += [_Para(t["changes"]), _List(tuple(_edit(e, lang) for e in fix.edits))]
    if fix.original is not None:
        blocks += [_Para(t["diff"]), _Code("diff", policy_diff(fix.original, fix.policy))]
    if fix.source == FixSource.ENGINE:
        if fix.grants:
            blocks += [_Para(t["grants"]), _List(tuple(_grant(g, lang) for g in fix.grants))]
        else:
            blocks.append(_Para(t["grants_none"]))
    return blocks


def _refusals(plan: AnswerPlan) -> list[_Block]:
    t = _T[plan.lang]
    lines = []
    if Demand.MARK_VERIFIED in plan.refusals:
        lines.append(t["refuse_verified"])
    if Demand.WIDEN in plan.refusals:
        lines.append(t["refuse_widen"] if plan.fix is not None else t["refuse_widen_nofix"])
    return [_Para(line) for line in lines]


def _case(plan: AnswerPlan) -> list[_Block]:
    """The customer's own part: diagnosis, pasted candidates, the fix, what is kept, warnings, what is missing."""
    t = _T[plan.lang]
    lang = plan.lang
    blocks: list[_Block] = []
    if plan.diagnoses:
        count = len(plan.diagnoses)
        evaluated = any(p.evaluated for p in plan.diagnoses)
        intro = t["reproduced" if evaluated else "read"].format(n=count)
        if plan.assumed_no_mfa:
            intro += ("" if lang == "ja" else " ") + t["no_mfa"]
        blocks += [_Heading(t["diagnosis"]), _Para(intro),
                   _List(tuple(_diagnosis(p, lang) for p in plan.diagnoses))]
    blocks += [_Para(_candidate(c, lang)) for c in plan.candidates]
    if plan.ask_policy:
        blocks.append(_Para(t["ask_policy_too" if plan.fix is not None else "ask_policy"]))
    if plan.fix is not None:
        blocks += _fix_blocks(plan.fix, lang)
    blocks += [_Para(_obstacle(o, lang)) for o in plan.obstacles]
    if plan.reviewed is not None:
        blocks.append(_Heading(t["review"]))
        blocks.append(_List(tuple(_finding(f, lang) for f in plan.reviewed)) if plan.reviewed
                      else _Para(t["review_clean"] if not plan.warnings else t["review_only_warnings"]))
    if plan.warnings:
        blocks += [_Para(t["warnings"]), _List(tuple(_finding(f, lang) for f in plan.warnings))]
    if plan.ask_slots:
        kinds = t["list_sep"].join(dict.fromkeys(
            _SLOT_KIND[lang][s.kind] if s.kind in _SLOT_KIND[lang] and s.kind not in ("name", "string")
            else t["slot_named"].format(n=s.name.replace("_", " ")) for s in plan.ask_slots))
        blocks.append(_Para(t["ask_slots"].format(k=kinds)))
    return blocks


def _blocks(plan: AnswerPlan) -> list[_Block]:
    t = _T[plan.lang]
    if plan.scope is Scope.INSTRUCTION:
        return [_Para(t["capability"])]
    if plan.scope is Scope.NOT_ACCESS:
        return [_Para(t["not_access"]), _Para(t["capability"])]
    blocks = _refusals(plan)
    if plan.scope is Scope.UNCOVERED:
        blocks.append(_Para(t["uncovered"]))
        blocks += _case(plan)
        blocks += [_Heading(t["first_steps"]), _List(tuple(t[f"step{n}"] for n in range(1, 5)))]
        return blocks
    if plan.direct:
        blocks.append(_Para(plan.direct))
    blocks += _case(plan)
    for kind, paragraphs in plan.sections:
        blocks.append(_Heading(t.get(kind, kind)))  # an extra section keeps the article's own heading
        for paragraph in paragraphs:
            fence = re.match(r"^\s*(```|~~~)\s*(\w*)\n(.*)\n\s*\1\s*$", paragraph, re.DOTALL)
            blocks.append(_Code(fence.group(2), fence.group(3)) if fence else _Para(paragraph))
    if plan.more_faq:
        blocks += [_Heading(t["more_faq"]), _List(tuple(f"**{e.q}** {e.a}" for e in plan.more_faq))]
    if plan.citations:
        items = tuple(c.title + (f" — {t['docs']}" + t["list_sep"].join(c.references[:_MAX_REFERENCES])
                                 if c.references else "")
                      for c in plan.citations)
        blocks += [_Heading(t["references"]), _List(items)]
    return blocks


def _markdown(block: _Block) -> str:
    if isinstance(block, _Heading):
        return f"## {block.text}"
    if isinstance(block, _Code):
        return f"```{block.lang}\n{block.text}\n```"
    if isinstance(block, _List):
        return "\n".join(item if re.match(r"^\s*(?:[-*+]|\d+[.)])\s", item) else f"- {item}"
                         for item in block.items)
    return block.text


def _unmark(text: str) -> str:
    """Plain text: no emphasis, no code-span backticks, no link syntax."""
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"`([^`\n]+)`", r"\1", text)
    return re.sub(r"\[([^\]]+)\]\((https?://[^)]+)\)", r"\1 (\2)", text)


def _plain(block: _Block) -> str:
    if isinstance(block, _Heading):
        return f"■ {block.text}"
    if isinstance(block, _Code):
        return "\n".join("    " + line for line in block.text.split("\n"))
    if isinstance(block, _List):
        return "\n".join(_unmark(re.sub(r"^\s*[-*+]\s+", "", item)) if re.match(r"^\s*\d+[.)]\s", item)
                         else "- " + _unmark(re.sub(r"^\s*[-*+]\s+", "", item)) for item in block.items)
    return _unmark(block.text)


def _render(plan: AnswerPlan, realize: Callable[[_Block], str]) -> str:
    return "\n\n".join(realize(b) for b in _blocks(plan)).strip()


def render_markdown(plan: AnswerPlan) -> str:
    """The answer as Markdown (UI, API)."""
    return _render(plan, _markdown)


def render_plain(plan: AnswerPlan) -> str:
    """The answer as plain text (CLI)."""
    return _render(plan, _plain)

