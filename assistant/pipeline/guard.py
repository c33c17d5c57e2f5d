"""The guard every model answer passes: each policy in it is checked as the kind it is and judged by effect,
policies the checker cannot read are refused, claims of verification are kept only when true, and
citations of articles that were not retrieved are removed.

A JSON policy is accepted only when it is valid for its kind (a statement with Principal is a trust or
resource policy, an SCP or RCP is judged as one, as the text around it and the question say), grants
nothing sensitive beyond the denied requests (``engine.exposure``, evaluated), and, for an identity
policy when errors were diagnosed, resolves every diagnosed denial under the one evaluator. A policy
written as YAML or in prose ("Allow * on *") cannot be checked, so it never passes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from assistant.engine.catalog import Catalog
from assistant.engine.checker import check_text
from assistant.engine.evaluator import PolicySet
from assistant.engine.exposure import exposure
from assistant.engine.model import PolicyType, Request, Severity
from assistant.engine.reader import fenced_blocks, read_policies
from assistant.engine.validator import validate
from assistant.engine.verify import verify_fix
from assistant.wire import finding_json

__all__ = ["GuardReport", "inspect_policies", "policy_kind", "strip_citations", "strip_unverified_claims",
           "without_policies"]

_CITATION = re.compile(r"\[([a-z0-9]+(?:-[a-z0-9]+)+)\]")
# Words that say which kind a policy is, in the text just before it or in the question.
_KIND_WORDS: tuple[tuple[PolicyType, re.Pattern[str]], ...] = (
    (PolicyType.RCP, re.compile(r"\bRCPs?\b|resource control polic|リソースコントロールポリシー", re.IGNORECASE)),
    (PolicyType.SCP, re.compile(r"\bSCPs?\b|service control polic|サービスコントロールポリシー", re.IGNORECASE)),
    (PolicyType.TRUST, re.compile(r"trust polic|信頼ポリシー|信頼関係", re.IGNORECASE)),
    (PolicyType.RESOURCE, re.compile(r"bucket polic|key polic|resource[- ]based polic|バケットポリシー|キーポリシー|"
                                     r"リソースベースのポリシー", re.IGNORECASE)),
)
_CONTEXT_CHARS = 300
_TRUST_ACTION = re.compile(r"^sts:(?:AssumeRole\w*|TagSession|SetSourceIdentity|SetContext)$", re.IGNORECASE)
# A claim that something was verified or checked (kept only when the checker verified every policy shown).
_CLAIM = re.compile(
    r"\b(?:verified|validated|(?:checker|simulator)\s+(?:confirmed|approved|checked|passed))\b|\bpass(?:es|ed)?\s+"
    r"the\s+(?:policy\s+)?checker|検証済|検証し(?:まし)?た|検証され|検証で問題|チェッカーで(?:確認|検証)|確認済み|動作確認",
    re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")
# Prose that grants everything: "Allow * on *", "Action: * / Resource: *", 「すべてのアクション…すべてのリソース」.
_PROSE_GRANT = re.compile(
    r"\ballow\w*\W{0,3}[`'\"]?\*[`'\"]?\s+(?:on|for|to|against)\s+[`'\"]?\*|"
    r"\bAction\W{0,3}[`'\"]?\*[`'\"]?\W{1,6}Resource\W{0,3}[`'\"]?\*|"
    r"すべての(?:アクション|操作)[^。\n]{0,20}すべての(?:リソース)",
    re.IGNORECASE)
_YAML_KEY = re.compile(r"^[ \t]*(?:-[ \t]*)?(?:Version|Statement|Effect|Action|NotAction|Resource|NotResource|"
                       r"Principal|Condition)[ \t]*:(?:[ \t]|$)")


@dataclass(frozen=True)
class GuardReport:
    """Problems to send back to the model, and the answer's policies as ``ask --json`` entries.

    ``failing`` numbers (from 1, in reading order) the JSON policies that must not be shown;
    ``unreadable`` is true when a policy is written as YAML or a grant in prose.
    """

    problems: tuple[str, ...]
    policies: tuple[dict[str, Any], ...]
    failing: tuple[int, ...] = ()
    unreadable: bool = False
    numbers: tuple[int, ...] = ()  # the policy number of each entry of ``policies``

    @property
    def passed(self) -> tuple[dict[str, Any], ...]:
        """The entries of the policies that may be shown."""
        return tuple(e for e, n in zip(self.policies, self.numbers, strict=True) if n not in self.failing)

    @property
    def all_verified(self) -> bool:
        """True when the answer shows at least one policy and the checker verified every one."""
        return bool(self.policies) and not self.problems and all(p["verified"] for p in self.policies)


def policy_kind(value: Any, context: str, question: str = "") -> PolicyType:
    """The kind of a policy: Principal makes it a trust or resource policy; the words around it say SCP/RCP."""
    raw = value.get("Statement") if isinstance(value, dict) else None
    statements = [s for s in (raw if isinstance(raw, list) else [raw]) if isinstance(s, dict)]
    said = next((kind for kind, words in _KIND_WORDS if words.search(context)), None)
    said = said or next((kind for kind, words in _KIND_WORDS if words.search(question)), None)
    if any("Principal" in s or "NotPrincipal" in s for s in statements):
        if said in (PolicyType.RCP, PolicyType.TRUST, PolicyType.RESOURCE):
            return said
        actions: list[Any] = []
        for statement in statements:
            action = statement.get("Action")
            actions += action if isinstance(action, list) else [action]
        trust = (actions and all(isinstance(a, str) and _TRUST_ACTION.match(a) for a in actions)
                 and not any("Resource" in s for s in statements))
        return PolicyType.TRUST if trust else PolicyType.RESOURCE
    return said if said in (PolicyType.SCP, PolicyType.RCP) else PolicyType.IDENTITY


def _loose_resource_policy(codes: set[str]) -> list[str]:
    return sorted(codes & {"PUBLIC_PRINCIPAL", "ALLOW_WITH_NOT_PRINCIPAL"})


def _unreadable(text: str) -> list[str]:
    """Policies the checker cannot read: YAML statements and grants written as prose."""
    problems = []
    json_spans = [(d.start, d.start + len(d.text)) for d in read_policies(text)]
    yaml_lines = [line for line in text.splitlines() if _YAML_KEY.match(line)]
    if len(yaml_lines) >= 2:
        problems.append("a policy is written as YAML; show every policy as complete JSON so that the checker "
                        "can verify it")
    for match in _PROSE_GRANT.finditer(text):
        if not any(start <= match.start() < end for start, end in json_spans):
            problems.append(f"the text grants every action on every resource ({match.group(0)!r}); "
                            "never suggest that")
            break
    return problems


def _without_diffs(text: str) -> str:
    """The text with the bodies of ```diff blocks blanked (same length): a diff shows a change, not a policy."""
    for start, end in fenced_blocks(text):
        opener = text[text.rfind("\n", 0, max(start - 1, 0)) + 1:start].strip().lstrip("`~").strip().lower()
        if opener.startswith(("diff", "patch")):
            text = text[:start] + "".join(c if c == "\n" else " " for c in text[start:end]) + text[end:]
    return text


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _pasted(question: str) -> set[str]:
    """The customer's own policies (as written, or repaired), to tell a quotation from a suggestion."""
    return {_canonical(v) for d in read_policies(question) for v in (d.value, d.repaired_value) if v is not None}


def inspect_policies(text: str, catalog: Catalog, original: PolicySet, denied: Sequence[Request],
                     question: str = "") -> GuardReport:
    """Check, judge and verify every policy in a model answer (a quotation of the customer's own is no fix)."""
    problems: list[str] = []
    entries: list[dict[str, Any]] = []
    numbers: list[int] = []
    failing: list[int] = []
    pasted = _pasted(question)
    previous_end = 0
    for number, checked in enumerate(check_text(_without_diffs(text), PolicyType.IDENTITY, catalog), start=1):
        if any(f.code == "NO_POLICY_FOUND" for f in checked.findings):
            break
        shown = checked.value if checked.value is not None else checked.repaired_value
        if shown is not None and _canonical(shown) in pasted:  # already listed as the question's policy
            previous_end = checked.start + 1
            continue
        before = len(problems)
        context = text[max(previous_end, checked.start - _CONTEXT_CHARS):checked.start]
        kind = policy_kind(checked.value, context, question)
        findings = list(checked.findings)
        policy = checked.policy
        if kind is not PolicyType.IDENTITY and checked.value is not None:
            reading = [f for f in checked.findings if f.code in ("DUPLICATE_KEY", "TOO_MANY_POLICIES")]
            policy, validated = validate(checked.value, kind, catalog)
            findings = reading + validated
        errors = [f for f in findings if f.severity is Severity.ERROR]
        problems += [f"policy {number} ({kind.value}): {f.code} at {f.path or '/'}: {f.message}" for f in errors]
        loose: list[str] = []
        resolves: list[str] = []
        verified = False
        if policy is not None and kind is PolicyType.IDENTITY:
            candidate = replace(original, identity=(policy,))
            loose = list(exposure(original, candidate, denied, catalog).granted)
            if loose:
                shown = ", ".join(loose[:5]) + (f" and {len(loose) - 5} more" if len(loose) > 5 else "")
                problems.append(f"policy {number} allows sensitive requests beyond the denied ones: {shown}; "
                                "grant only what was denied")
            if denied:
                verification = verify_fix(original, candidate, denied, catalog)
                resolves = [r.before.request.label for r in verification.resolutions if r.resolved]
                missed = [r.before.request.action for r in verification.resolutions if not r.resolved]
                if missed:
                    problems.append(f"policy {number} does not resolve the denial of {', '.join(missed)}")
                verified = verification.resolves_all and not errors and not loose
        elif policy is not None and kind in (PolicyType.RESOURCE, PolicyType.TRUST):
            loose = _loose_resource_policy({f.code for f in findings})
            if loose:
                problems.append(f"policy {number} ({kind.value}) opens access to anyone: {', '.join(loose)}")
        entries.append({"source": "answer", "json": checked.value, "valid": not errors, "verified": verified,
                        "policy_type": kind.value, "resolves": resolves, "exposes": loose,
                        "findings": [finding_json(f) for f in findings]})
        numbers.append(number)
        if len(problems) > before:
            failing.append(number)
        previous_end = checked.start + 1
    unreadable = _unreadable(text)
    return GuardReport(tuple(problems + unreadable), tuple(entries), tuple(failing), bool(unreadable),
                       tuple(numbers))


def _without_claims(line: str) -> str:
    if line.lstrip().startswith("#"):
        return ""
    kept = [s for s in _SENTENCE_END.split(line) if not _CLAIM.search(s)]
    return " ".join(s for s in kept if s).rstrip()


def strip_unverified_claims(text: str, report: GuardReport) -> tuple[str, int]:
    """Remove sentences and headings that claim verification, unless the checker verified every policy shown.

    Code blocks are left as they are. Returns the text and the number of lines changed.
    """
    if report.all_verified:
        return text, 0
    fenced = list(fenced_blocks(text))
    out: list[str] = []
    changed = 0
    position = 0
    for line in text.split("\n"):
        inside = any(start <= position < end for start, end in fenced)
        position += len(line) + 1
        if not inside and _CLAIM.search(line):
            changed += 1
            line = _without_claims(line)
            if not line.strip():
                continue
        out.append(line)
    return "\n".join(out), changed


_REMOVED = {"ja": "(ポリシーチェッカーの確認を通らなかったポリシーのため、ここには表示しません)",
            "en": "(a policy that did not pass the policy checker is not shown here)"}


def without_policies(text: str, report: GuardReport, lang: str) -> str:
    """The text without the policies the report failed (JSON; YAML lines and prose grants when unreadable)."""
    removed = _REMOVED.get(lang, _REMOVED["en"])
    documents = read_policies(_without_diffs(text))
    for number in sorted(report.failing, reverse=True):
        if number <= len(documents):
            document = documents[number - 1]
            text = text[: document.start] + removed + text[document.start + len(document.text):]
    if not report.unreadable:
        return text
    lines = [line for line in text.split("\n") if not _YAML_KEY.match(line)]
    return _PROSE_GRANT.sub(removed, "\n".join(lines))


def strip_citations(text: str, allowed: set[str]) -> tuple[str, list[str], list[str]]:
    """Remove ``[article-id]`` citations of articles that were not retrieved; the cited and removed ids."""
    cited: list[str] = []
    removed: list[str] = []

    def replace_one(match: re.Match[str]) -> str:
        article = match.group(1)
        if article in allowed:
            if article not in cited:
                cited.append(article)
            return match.group(0)
        removed.append(article)
        return ""

    return _CITATION.sub(replace_one, text), cited, removed
